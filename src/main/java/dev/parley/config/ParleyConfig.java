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
    Demo demo) {

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

  /** @param url {@code redis://host:port}; null starts an embedded Redis */
  public record Redis(String url, String keyPrefix, int poolSize) {
    public boolean embedded() {
      return url == null;
    }
  }

  /** @param applyTimeout how long a webhook waits for its transaction before answering 503 */
  public record Ingest(int instances, Duration applyTimeout) {}

  /**
   * @param serviceWindow how long after the customer's last message free-form replies are allowed
   * @param windowClosingLead how long before expiry {@code window.closing} fires
   * @param timerPollInterval how often due window timers are collected from Redis
   * @param stateCheckInterval how often Redis is checked for lost derived state (and rebuilt)
   * @param pendingStatusRetention how long a status for a not-yet-known message is kept
   */
  public record Conversation(
      int instances,
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

  /** Number of verticle instances to deploy for a configured count (0 = one per core). */
  public static int instancesOrCores(int configured) {
    return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
  }
}
