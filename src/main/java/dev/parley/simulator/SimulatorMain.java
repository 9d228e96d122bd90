package dev.parley.simulator;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the provider simulator on its own until stopped:
 * {@code java -cp parley.jar dev.parley.simulator.SimulatorMain --port 9090 --number
 * phone_number_id:access_token:app_secret:webhook_url …}. More numbers and every option can be set later through
 * the control API ({@code /_simulator}).
 */
public final class SimulatorMain {
  private SimulatorMain() {}

  public static void main(String[] args) {
    var options = new SimulatorOptions().port(9090);
    List<SimulatedNumber> numbers = new ArrayList<>();
    try {
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (flag.equals("--help") || flag.equals("-h")) {
          System.out.println(usage());
          return;
        }
        if (!List.of("--port", "--host", "--seed", "--number").contains(flag)) {
          throw new IllegalArgumentException("unknown option " + flag);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        String value = args[++i];
        switch (flag) {
          case "--port" -> options.port(Integer.parseInt(value));
          case "--host" -> options.host(value);
          case "--seed" -> options.seed(Long.parseLong(value));
          default -> numbers.add(number(value));
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }

    Vertx vertx = Vertx.vertx();
    ProviderSimulator simulator;
    try {
      simulator = ProviderSimulator.start(vertx, options).await();
    } catch (Exception e) {
      System.err.println("the simulator did not start: " + e.getMessage());
      vertx.close();
      System.exit(1);
      return;
    }
    numbers.forEach(simulator::registerNumber);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await(), "simulator-shutdown"));
    System.out.println("WhatsApp Cloud API simulator on " + simulator.baseUrl()
        + " (Graph: " + simulator.baseUrl() + "/v23.0/…, control: " + simulator.baseUrl() + "/_simulator/…)");
    for (SimulatedNumber number : numbers) {
      System.out.println("  number " + number.phoneNumberId() + " (WABA " + number.wabaId() + ") -> "
          + number.webhookUrl());
    }
  }

  /** {@code phone_number_id:access_token:app_secret:webhook_url} (the URL keeps its own colons). */
  static SimulatedNumber number(String spec) {
    String[] parts = spec.split(":", 4);
    if (parts.length != 4) {
      throw new IllegalArgumentException("--number takes phone_number_id:access_token:app_secret:webhook_url");
    }
    return SimulatedNumber.of(parts[0], parts[1], parts[2], parts[3]);
  }

  private static String usage() {
    return "usage: java -cp parley.jar dev.parley.simulator.SimulatorMain [--host 127.0.0.1] [--port 9090] [--seed N]"
        + " [--number phone_number_id:access_token:app_secret:webhook_url]...";
  }
}
