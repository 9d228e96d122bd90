package dev.parley;

import dev.parley.auth.AccessTokens;
import dev.parley.auth.ApiKeys;
import dev.parley.auth.AuthRoutes;
import dev.parley.auth.Authenticator;
import dev.parley.auth.LoginLimiter;
import dev.parley.auth.ServerSecrets;
import dev.parley.bus.LocalCodec;
import dev.parley.channel.ChannelActivity;
import dev.parley.channel.ChannelRoutes;
import dev.parley.contact.ContactRoutes;
import dev.parley.bus.OrgEvent;
import dev.parley.config.ConfigLoader;
import dev.parley.config.ParleyConfig;
import dev.parley.conversation.Committer;
import dev.parley.conversation.ConversationRoutes;
import dev.parley.conversation.ConversationStateVerticle;
import dev.parley.conversation.LogSlot;
import dev.parley.conversation.Projection;
import dev.parley.conversation.StateRebuilder;
import dev.parley.conversation.WindowTimerVerticle;
import dev.parley.bus.Addresses;
import dev.parley.demo.DemoBanner;
import dev.parley.dispatch.DispatchVerticle;
import dev.parley.dispatch.Pacer;
import dev.parley.dispatch.SendRoutes;
import dev.parley.dispatch.Sender;
import dev.parley.provider.whatsapp.WhatsAppGraph;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatorOptions;
import dev.parley.demo.DemoBootstrap;
import dev.parley.demo.DemoRoutes;
import dev.parley.dispatch.Sender;
import dev.parley.http.ApiRoutes;
import dev.parley.http.HttpVerticle;
import dev.parley.infra.EmbeddedStores;
import dev.parley.ingest.InboundLog;
import dev.parley.ingest.Ingest;
import dev.parley.message.CompatMessageRoutes;
import dev.parley.media.LocalDiskStorage;
import dev.parley.media.MediaFetcher;
import dev.parley.media.MediaLibrary;
import dev.parley.media.MediaRetention;
import dev.parley.media.MediaRoutes;
import dev.parley.message.CompatSendRoutes;
import dev.parley.message.MessageRoutes;
import dev.parley.ops.HealthRoutes;
import dev.parley.ops.WebhookMetrics;
import dev.parley.provider.ProviderRegistry;
import dev.parley.provider.whatsapp.WhatsAppProvider;
import dev.parley.push.EventLog;
import dev.parley.push.EventPublisher;
import dev.parley.push.PushHub;
import dev.parley.push.PushMetrics;
import dev.parley.push.PushShard;
import dev.parley.push.WebSocketEndpoint;
import dev.parley.schedule.ScheduleRoutes;
import dev.parley.schedule.SchedulerVerticle;
import dev.parley.store.BoundedRedis;
import dev.parley.store.ChannelStore;
import dev.parley.store.ConversationCache;
import dev.parley.store.Database;
import dev.parley.store.RedisKeys;
import dev.parley.store.UserStore;
import dev.parley.canned.CannedResponseRoutes;
import dev.parley.template.TemplateCatalog;
import dev.parley.template.TemplateRoutes;
import dev.parley.template.TemplateSync;
import dev.parley.template.TemplateSyncVerticle;
import dev.parley.user.UserRoutes;
import io.vertx.core.json.JsonObject;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: starts (or connects to) PostgreSQL and Redis, migrates the schema, builds the pools and
 * deploys the verticles in dependency order; {@link #close()} undoes it in reverse: the push hub closes every
 * WebSocket with a resumable code, the HTTP edge stops taking requests and finishes those in flight, then ingestion, conversation state, timers, the pools, Vert.x and
 * the embedded servers. Start and close block: call them from the main thread (or a test thread).
 */
public final class Parley implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Parley.class);

  private final ParleyConfig config;
  private final Consumer<Vertx> beforeDeploy;
  private EmbeddedStores embedded;
  private final Deque<String> deployments = new ArrayDeque<>();
  private final List<HttpVerticle> httpVerticles = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private ApiRoutes api;
  private Pool pool;
  private Pool dispatchPool;
  private WhatsAppGraph graph;
  private ProviderSimulator simulator;
  private Redis redis;
  private MediaLibrary media;
  private Projection inbound;
  private LogSlot logSlot;
  private InboundLog inboundLog;
  private String pgUrl;
  private String redisUrl;
  private boolean closed;

  private Parley(ParleyConfig config, Consumer<Vertx> beforeDeploy) {
    this.config = config;
    this.beforeDeploy = beforeDeploy;
  }

  /** Starts a whole Parley node. On failure everything already started is stopped again. */
  public static Parley start(ParleyConfig config) throws Exception {
    return start(config, vertx -> {});
  }

  /**
   * As {@link #start(ParleyConfig)}, running {@code beforeDeploy} on the new Vert.x instance before any verticle is
   * deployed: for listeners that must see every event from the first (a window timer that fell due while the node
   * was down fires during the start).
   */
  public static Parley start(ParleyConfig config, Consumer<Vertx> beforeDeploy) throws Exception {
    Parley parley = new Parley(config, beforeDeploy);
    try {
      parley.startAll();
      return parley;
    } catch (Exception | Error e) {
      parley.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    if (config.postgres().embedded() || config.redis().embedded()) {
      // locks the data directory, stops what a crashed Parley left running there, guards against the next crash
      embedded = EmbeddedStores.open(config.dataDir());
    }
    pgUrl = config.postgres().url();
    if (config.postgres().embedded()) {
      pgUrl = embedded.startPostgres().url("parley");
    }
    redisUrl = config.redis().url();
    if (config.redis().embedded()) {
      redisUrl = embedded.startRedis().url();
    }
    log.info("PostgreSQL {}, Redis {}", ConfigLoader.redact(pgUrl), ConfigLoader.redact(redisUrl));
    Database.prepare(pgUrl);

    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    vertx = Vertx.builder()
        // one event loop per core: verticles deployed one instance per core then share loops pairwise, so each
        // HTTP instance has a push hub shard on its own loop and sockets are written without a thread hop
        .with(new VertxOptions().setEventLoopPoolSize(Runtime.getRuntime().availableProcessors())
            .setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    LocalCodec.registerAll(vertx.eventBus(), OrgEvent.class);
    beforeDeploy.accept(vertx);

    pool = Database.pool(vertx, pgUrl, config.postgres().poolSize());
    var boundedRedis = new BoundedRedis(vertx, Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(redisUrl)
        .setMaxPoolSize(config.redis().poolSize())
        .setMaxPoolWaiting(10_000)
        .setMaxWaitingHandlers(100_000)), config.redis().timeout(), registry);
    redis = boundedRedis;

    var keys = new RedisKeys(config.redis().keyPrefix());
    var channels = new ChannelStore(pool);
    if (config.simulator().enabled()) {
      simulator = ProviderSimulator.start(vertx, new SimulatorOptions()
          .host(config.simulator().host()).port(config.simulator().port())).await();
      log.info("WhatsApp provider simulator on {}", simulator.baseUrl());
    }
    if (config.demo().enabled()) {
      DemoBootstrap.ensure(vertx, pool, channels, config.demo()).await();
      if (simulator != null) { // before dispatch starts: the demo channel sends to this start's simulator
        DemoBootstrap.useSimulator(pool, config.demo(), simulator.baseUrl()).await();
      }
    }

    var providers = ProviderRegistry.standard();
    var conversation = config.conversation();
    var cache = new ConversationCache(redis, keys, conversation.windowClosingLead());
    var rebuilder = new StateRebuilder(pool, cache);
    var eventLog = new EventLog(redis, keys, config.push());
    var publisher = new EventPublisher(vertx, eventLog);
    deploy(1, () -> new WindowTimerVerticle(pool, cache, rebuilder, conversation, registry, publisher));
    var committer = new Committer(pool, cache, publisher, rebuilder);
    var activity = new ChannelActivity(pool); // undeployed after its users: its last flush sees all they recorded
    deploy(1, () -> activity);
    deploy(1, () -> new ConversationStateVerticle(rebuilder));
    // the inbound path: webhooks are appended to the inbound log (acknowledged after its commit), then projected
    // by one projector per shard; projectors first catch up with what the log holds beyond their positions
    var ingestConfig = config.ingest();
    logSlot = LogSlot.claim(vertx, pgUrl).await();
    inbound = new Projection(logSlot, ParleyConfig.instancesOrCores(ingestConfig.projectors()));
    inbound.prepare(pool).await();
    inboundLog = new InboundLog(pool, inbound, providers, channels, ingestConfig.applyTimeout(),
        ingestConfig.logRetention(), registry);
    deploy(inbound.shards(), inbound.projectors(pool, committer, providers, conversation.serviceWindow(), activity,
        inboundLog, registry));
    deploy(1, () -> inboundLog);
    inbound.adoptOrphans(vertx, pool, inboundLog);
    // outbound dispatch works from its own small pool, so bulk sending never makes webhooks wait for a connection
    var dispatch = config.dispatch();
    dispatchPool = Database.pool(vertx, pgUrl, dispatch.poolSize());
    var dispatchCommitter = new Committer(dispatchPool, cache, publisher, rebuilder);
    graph = new WhatsAppGraph(vertx, config.whatsapp());
    var catalog = new TemplateCatalog();
    Sender.Templates templates = (client, organization, channel, template) -> catalog
        .resolve(client, organization, channel, template)
        .map(rendered -> new JsonObject().put("text", rendered.text()).put("preview", rendered.preview()));
    var templateSync = new TemplateSync(pool, committer, graph::templates);
    deploy(1, () -> new TemplateSyncVerticle(pool, channels, templateSync, config.templates().syncInterval()));
    var mediaStorage = new LocalDiskStorage(vertx, config.media().dir());
    media = new MediaLibrary(pool, mediaStorage, graph, vertx, config.media());
    deploy(1, () -> new MediaFetcher(pool, committer, mediaStorage, graph, config.media()));
    deploy(1, () -> new MediaRetention(pool, committer, mediaStorage, config.media()));
    var sender = new Sender(vertx, pool, committer, channels, providers, templates, media::check, dispatch);
    var pacer = new Pacer(redis, keys, dispatch);
    deploy(1, () -> new DispatchVerticle(dispatchPool, dispatchCommitter, channels, graph, pacer,
        media::providerMediaId, sender, activity, dispatch, registry));
    deploy(1, () -> new SchedulerVerticle(pool, sender, config.schedule(), registry));
    var health = new HealthRoutes(pool, redis);
    var webhookMetrics = new WebhookMetrics(registry, Set.of(WhatsAppProvider.NAME));
    String secret = config.auth().jwtSecret() != null
        ? config.auth().jwtSecret()
        : ServerSecrets.getOrCreate(pool, "jwt").await();
    var tokens = new AccessTokens(vertx, secret, config.auth().tokenTtl());
    var apiKeys = new ApiKeys(pool);
    var users = new UserStore(pool);
    var authenticator = new Authenticator(tokens, apiKeys, users);
    var pushHub = new PushHub(new PushMetrics(registry));
    api = new ApiRoutes(authenticator,
        new AuthRoutes(vertx, users, tokens, apiKeys, new LoginLimiter(redis, keys, config.auth())),
        new WebSocketEndpoint(pushHub, authenticator),
        List.of(new UserRoutes(vertx, users), new ChannelRoutes(channels, providers),
            new ConversationRoutes(pool, committer, cache, users, dispatch.markRead()
                ? read -> vertx.eventBus().send(Addresses.DISPATCH_MARK_READ, read) : null),
            new MessageRoutes(pool), new SendRoutes(pool, committer, sender),
            new ContactRoutes(pool, committer, users), new ScheduleRoutes(pool),
            new TemplateRoutes(pool, channels, templateSync, catalog),
            new CannedResponseRoutes(pool, committer, users),
            new MediaRoutes(pool, media, mediaStorage, mediaStorage.uploadsDir(), config.media().maxBytes()),
            new DemoRoutes(channels, config.demo(), simulator)),
        List.of(new CompatMessageRoutes(pool)),
        List.of(new CompatSendRoutes(committer, channels, sender)));
    deploy(ParleyConfig.instancesOrCores(config.http().instances()), () -> {
      var verticle = new HttpVerticle(config.http(), health, registry, webhookMetrics, api, config.push().maxFrameBytes(),
          new Ingest(providers, channels, inboundLog, boundedRedis::available));
      httpVerticles.add(verticle);
      return verticle;
    });
    // deployed after the HTTP edge so that it stops first: sockets close (1012) before the port does
    deploy(ParleyConfig.instancesOrCores(config.push().instances()),
        () -> new PushShard(pushHub, eventLog, publisher, config.push()));
    if (simulator != null && config.demo().enabled()) {
      simulator.registerNumber(DemoBootstrap.simulatedNumber(config.demo(), httpPort()));
      // the simulator gives the number's WABA its templates when it registers: fetch them now, not in an hour
      channels.find(config.demo().channelId())
          .compose(found -> found.isEmpty() ? Future.succeededFuture() : templateSync.sync(found.get()).mapEmpty())
          .onFailure(failure -> log.warn("demo templates not synced: {}", failure.toString()));
    }
    log.info("Parley started on port {}", httpPort());
    if (config.demo().enabled()) {
      System.out.println(DemoBanner.text(config.demo(), httpPort()));
      if (simulator != null) {
        System.out.println(DemoBanner.simulatorText(config.demo(), simulator.baseUrl()));
      }
    }
  }

  private void deploy(int instances, Supplier<io.vertx.core.Deployable> verticle) {
    deployments.push(vertx.deployVerticle(verticle, new DeploymentOptions().setInstances(instances)).await());
  }

  /** The built-in WhatsApp provider simulator, or null when {@code simulator.enabled} is false. */
  public ProviderSimulator simulator() {
    return simulator;
  }

  /** The HTTP port actually bound. */
  public int httpPort() {
    return httpVerticles.get(0).port();
  }

  /** Every REST and WebSocket operation mounted (see {@link ApiRoutes#operations()}). */
  public List<String> apiOperations() {
    return api.operations();
  }

  /** The inbound projection: {@code settled()} completes once every acknowledged webhook is applied and pushed. */
  public Projection inbound() {
    return inbound;
  }

  /** The inbound log's group committer (tests append to it directly). */
  public InboundLog inboundLog() {
    return inboundLog;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  /** Media files: what the dispatcher sends an uploaded or received file with. */
  public MediaLibrary media() {
    return media;
  }

  public Redis redis() {
    return redis;
  }

  public ParleyConfig config() {
    return config;
  }

  /** Stops everything in reverse order of start. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    while (!deployments.isEmpty()) {
      String id = deployments.pop();
      quietly("undeploy " + id, () -> vertx.undeploy(id).await());
    }
    if (simulator != null) { // after the HTTP edge: its last status webhooks may still have been answered
      quietly("close the provider simulator", () -> simulator.close().await());
    }
    if (graph != null) {
      quietly("close Graph API client", () -> graph.close().await());
    }
    if (dispatchPool != null) {
      quietly("close dispatch PostgreSQL pool", () -> dispatchPool.close().await());
    }
    if (pool != null) {
      quietly("close PostgreSQL pool", () -> pool.close().await());
    }
    if (logSlot != null) { // after the projectors stopped: the slot's positions are final
      quietly("release the inbound log slot", () -> logSlot.close().await());
    }
    if (redis != null) {
      quietly("close Redis client", () -> redis.close().await());
    }
    if (vertx != null) {
      quietly("close Vert.x", () -> vertx.close().await());
    }
    if (embedded != null) {
      quietly("stop the embedded servers", embedded::close);
    }
    log.info("Parley stopped");
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void quietly(String what, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      log.warn("{} failed: {}", what, e.toString());
    }
  }
}
