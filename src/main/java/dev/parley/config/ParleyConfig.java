package dev.parley.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * Parley's whole configuration, read once at start-up by {@link ConfigLoader} from {@code conf/parley.json}
 * and environment overrides. Immutable; every value has been validated.
 *
 * @param dataDir where the embedded PostgreSQL and Redis keep their files
 */
public record ParleyConfig(
    Http http,
    Postgres postgres,
    Redis redis,
    Path dataDir,
    Ingest ingest,
    Conversation conversation,
    Auth auth,
    Push push,
    WhatsApp whatsapp,
    Dispatch dispatch,
    Schedule schedule,
    Media media,
    Simulator simulator,
    Demo demo,
    Templates templates) {

  /**
   * @param instances number of HTTP verticle instances; 0 means one per CPU core
   * @param maxWebhookBytes larger webhook bodies are refused with 413 (Meta sends at most 3 MB)
   * @param shutdownGrace how long in-flight requests may take to finish on shutdown
   */
  public record Http(String host, int port, int instances, int maxWebhookBytes, Duration shutdownGrace) {}

  /** @param url {@code postgresql://user:pass@host:port/db}; null starts an embedded PostgreSQL */
  public record Postgres(String url, int poolSize) {
    public boolean embedded() {
      return url == null;
    }
  }

  /**
   * @param url {@code redis://host:port}; null starts an embedded Redis
   * @param timeout the bound of every Redis call; past it Redis counts as unavailable (see BoundedRedis)
   */
  public record Redis(String url, String keyPrefix, int poolSize, Duration timeout) {
    public boolean embedded() {
      return url == null;
    }
  }

  /**
   * @param projectors projector shards (0: one per core); an organization's webhooks are always projected by one
   * @param applyTimeout how long a webhook waits for its inbound-log commit before answering 503
   * @param logRetention how long inbound-log rows are kept once every projector has passed them
   */
  public record Ingest(int projectors, Duration applyTimeout, Duration logRetention) {}

  /**
   * @param serviceWindow how long after the customer's last message free-form replies are allowed
   * @param windowClosingLead how long before expiry {@code window.closing} fires
   * @param timerPollInterval how often due window timers are collected from Redis
   * @param stateCheckInterval how often Redis is checked for lost derived state (and rebuilt)
   * @param pendingStatusRetention how long a status for a not-yet-known message is kept
   */
  public record Conversation(
      Duration serviceWindow,
      Duration windowClosingLead,
      Duration timerPollInterval,
      Duration stateCheckInterval,
      Duration pendingStatusRetention) {}

  /**
   * @param jwtSecret HMAC key for access tokens; null keeps a generated one in PostgreSQL, shared by every node
   * @param tokenTtl how long an access token is valid
   * @param loginMaxFailures failed sign-ins allowed per e-mail address within {@code loginFailureWindow}
   * @param loginMaxFailuresPerAddress failed sign-ins allowed per client IP address within the window
   */
  public record Auth(String jwtSecret, Duration tokenTtl, int loginMaxFailures, int loginMaxFailuresPerAddress,
      Duration loginFailureWindow) {}

  /**
   * @param instances push hub shards; 0 means one per CPU core
   * @param logMaxEvents events kept per organization for resume
   * @param logMaxAge how long an event stays resumable
   * @param resumeGrace how long a new socket holds live events back waiting for the client's first frame
   * @param pingInterval an idle socket is pinged this often
   * @param idleTimeout a socket silent for this long (no pong, no frame) is closed as dead
   * @param maxQueuedBytes a socket whose unsent bytes exceed this is closed as a slow consumer
   * @param maxFrameBytes largest frame a client may send
   */
  public record Push(int instances, int logMaxEvents, Duration logMaxAge, Duration resumeGrace,
      Duration pingInterval, Duration idleTimeout, int maxQueuedBytes, int maxFrameBytes) {}

  /**
   * The WhatsApp Cloud API (Graph API) as Parley calls it. A channel may override the base URL with its
   * {@code api_base_url} credential (the demo channel points at the provider simulator that way).
   *
   * @param graphUrl e.g. {@code https://graph.facebook.com}
   * @param graphVersion the pinned API version path segment, e.g. {@code v23.0}
   * @param requestTimeout a call without an answer by then counts as a timeout (retried)
   */
  public record WhatsApp(String graphUrl, String graphVersion, Duration requestTimeout) {}

  /**
   * Outbound dispatch.
   *
   * @param poolSize PostgreSQL connections of the dispatcher's own pool (so bulk sending never starves webhooks)
   * @param concurrency provider calls in flight per dispatcher instance
   * @param ratePerNumber messages per second per sending number (WhatsApp: 80 by default, up to 1,000)
   * @param recipientBurst messages one recipient may get in a burst before pacing applies
   * @param recipientInterval the steady pace to one recipient (WhatsApp: one per 6 s)
   * @param retryBase first retry delay; doubles per attempt, with jitter
   * @param retryMaxDelay longest delay between two attempts
   * @param retryDeadline a message still not accepted this long after it was queued fails
   * @param lease how long a claimed message stays with its dispatcher before another node may take it
   * @param reconcileGrace after a crash, how long to wait for the provider's status webhook to prove an
   *     interrupted attempt was accepted before sending again
   * @param pollInterval how often due retries, scheduled messages and abandoned attempts are collected
   * @param markRead mark the last inbound message read at the provider when the assignee reads the conversation
   */
  public record Dispatch(int poolSize, int concurrency, int ratePerNumber, int recipientBurst,
      Duration recipientInterval, Duration retryBase, Duration retryMaxDelay, Duration retryDeadline, Duration lease,
      Duration reconcileGrace, Duration pollInterval, boolean markRead) {}

  /**
   * Scheduled messages.
   *
   * @param pollInterval how often due scheduled messages are collected (how late one may go out)
   * @param lease how long a claimed scheduled message stays with its node; still unsent then (the node died), another
   *     node sends it, with the same idempotency key so it never goes out twice
   */
  public record Schedule(Duration pollInterval, Duration lease) {}

  /**
   * Media files (inbound ones fetched from the provider; outbound ones uploaded by agents).
   *
   * @param dir where files are kept; null means {@code <data_dir>/media}
   * @param retention how long a file is kept; null keeps files forever
   * @param maxBytes the largest file accepted (WhatsApp documents: 100 MB)
   * @param fetchConcurrency inbound files downloaded at once per node
   * @param sweepInterval how often inbound media not fetched yet (missed events, restarts, retries due) and
   *     expired files are looked for
   * @param retryBase first delay before fetching again after a provider error; doubles per attempt
   */
  public record Media(Path dir, Duration retention, long maxBytes, int fetchConcurrency, Duration sweepInterval,
      Duration retryBase) {}

  /**
   * The built-in WhatsApp provider simulator, started inside Parley for the demo: the demo channel sends to it
   * and it answers with signed status webhooks.
   *
   * @param port 0 picks a free port
   */
  public record Simulator(boolean enabled, String host, int port) {}

  /** The demo organization, admin, agent and WhatsApp channel created on first start when enabled. */
  public record Demo(
      boolean enabled,
      String organizationName,
      UUID channelId,
      String phoneNumberId,
      String displayPhoneNumber,
      String appSecret,
      String verifyToken,
      String adminEmail,
      String adminPassword,
      String agentEmail,
      String agentPassword) {}

  /**
   * WhatsApp message templates.
   *
   * @param syncInterval how often each channel's templates are fetched from the provider (and once at start)
   */
  public record Templates(Duration syncInterval) {}

  /** Number of verticle instances to deploy for a configured count (0 = one per core). */
  public static int instancesOrCores(int configured) {
    return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
  }
}
