package dev.parley;

import dev.parley.config.ConfigException;
import dev.parley.config.ConfigLoader;
import dev.parley.config.ParleyConfig;
import dev.parley.infra.DataDirLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one Parley node until the process is told to stop (SIGTERM / Ctrl-C), then shuts down in order. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    ParleyConfig config;
    try {
      config = ConfigLoader.load();
    } catch (ConfigException e) {
      System.err.println("Parley cannot start: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      Parley parley = Parley.start(config);
      Runtime.getRuntime().addShutdownHook(new Thread(parley::close, "parley-shutdown"));
    } catch (DataDirLock.InUse e) {
      log.error("Parley cannot start: {}", e.getMessage()); // the whole story; a stack trace would only hide it
      System.exit(1);
    } catch (Exception e) {
      log.error("Parley failed to start", e);
      System.exit(1);
    }
  }
}
