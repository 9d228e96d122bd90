package dev.parley.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/** The Markdown summary of a report: targets against figures, ceilings as ratios, then each scenario's table. */
final class Summary {
  private Summary() {}

  static String markdown(JsonObject report, List<String> charts) {
    var md = new StringBuilder();
    JsonObject machine = report.getJsonObject("machine");
    md.append("# Parley benchmark (").append(report.getString("mode")).append(")\n\n");
    md.append("Commit `").append(report.getString("commit")).append("`, started ").append(report.getString("started_at"))
        .append(", took ").append(report.getLong("took_seconds")).append(" s. Machine: ")
        .append(machine.getInteger("cores")).append(" cores (").append(machine.getString("cpu", "?")).append("), ")
        .append(gib(machine.getLong("memory_bytes", 0L))).append(" GiB, ").append(machine.getString("java"))
        .append(machine.containsKey("cpu_steal_percent")
            ? ", CPU time stolen by the hypervisor during the run: " + machine.getDouble("cpu_steal_percent") + " %" : "")
        .append(". Servers: ").append(report.getString("servers"))
        .append(". Everything (PostgreSQL, Redis, Parley, simulator, load generators) shares the same cores.\n\n");
    md.append("## Targets\n\n").append(targets(report)).append('\n');

    JsonObject ceilings = report.getJsonObject("ceilings");
    if (ceilings != null) {
      md.append("## Ceilings (same run)\n\n| what | figure | how |\n|---|---:|---|\n");
      JsonObject pg = ceilings.getJsonObject("postgres");
      md.append(row("PostgreSQL batched insert", n(pg.getLong("batched_insert_rows_per_s")) + " rows/s", pg.getString("how")));
      md.append(row("PostgreSQL one-row commits", n(pg.getLong("single_row_commits_per_s")) + " commits/s",
          "synchronous_commit on; the durable-commit bound"));
      if (pg.getLong("log_append_rows_per_s") != null) {
        md.append(row("inbound-log append", n(pg.getLong("log_append_rows_per_s")) + " rows/s",
            "the group committer's multi-row insert, " + "250 rows per commit on 2 connections"));
      }
      JsonObject redis = ceilings.getJsonObject("redis");
      md.append(row("Redis pipelined", n(redis.getLong("pipelined_ops_per_s")) + " ops/s", redis.getString("how")));
      JsonObject http = ceilings.getJsonObject("http");
      md.append(row("bare Vert.x HTTP POST", n(http.getLong("posts_per_s")) + " posts/s", http.getString("how")));
      md.append('\n');
    }
    JsonObject ingest = report.getJsonObject("ingest");
    if (ingest != null) {
      md.append("## Ingest\n\n").append(ingest.getString("mix")).append(".\n\n");
      md.append("| batch | offered events/s | committed events/s | messages/s | p50 ms | p99 ms | p99.9 ms | max ms | failed "
          + "| Parley CPU (cores) | PostgreSQL CPU (cores) | CPU stolen | sustained |\n"
          + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
      for (String batch : List.of("batch_1", "batch_50")) {
        JsonObject run = ingest.getJsonObject(batch);
        if (run == null) {
          continue;
        }
        for (Object o : run.getJsonArray("steps")) {
          JsonObject step = (JsonObject) o;
          JsonObject l = step.getJsonObject("latency");
          md.append("| ").append(run.getInteger("batch")).append(" | ").append(n(step.getLong("offered_events_per_s")))
              .append(" | ").append(n(step.getLong("committed_events_per_s"))).append(" | ")
              .append(n(step.getLong("committed_messages_per_s"))).append(" | ").append(l.getValue("p50_ms", "–"))
              .append(" | ").append(l.getValue("p99_ms", "–")).append(" | ").append(l.getValue("p999_ms", "–"))
              .append(" | ").append(l.getValue("max_ms", "–")).append(" | ").append(step.getLong("failed") + step.getLong("skipped"))
              .append(" | ").append(step.getDouble("parley_cpu_cores")).append(" | ")
              .append(step.getValue("postgres_cpu_cores") == null ? "–" : step.getValue("postgres_cpu_cores"))
              .append(" | ").append(stolen(step))
              .append(" | ").append(step.getBoolean("sustained") ? "yes" : "no").append(" |\n");
        }
      }
      md.append('\n');
    }
    JsonObject e2e = report.getJsonObject("e2e_latency");
    if (e2e != null) {
      md.append("## Webhook → agent WebSocket\n\n").append(e2e.getInteger("agents")).append(" agents in ")
          .append(e2e.getInteger("organizations")).append(" organizations; every agent of the organization receives the "
              + "`message.created` frame. CPU per message: Parley, PostgreSQL and Redis during the step, per acknowledged "
              + "webhook.\n\n| msg/s | p50 ms | p99 ms | p99.9 ms | max ms | frames received / expected "
              + "| webhook p99 ms | CPU µs per message (Parley + PostgreSQL + Redis) | generator cores | CPU stolen |\n"
              + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Object o : e2e.getJsonArray("steps")) {
        JsonObject step = (JsonObject) o;
        JsonObject l = step.getJsonObject("ws_latency");
        md.append(cells(n(step.getLong("offered_per_s")), l.getValue("p50_ms", "–"), l.getValue("p99_ms", "–"),
            l.getValue("p999_ms", "–"), l.getValue("max_ms", "–"), frames(step),
            step.getJsonObject("webhook_latency").getValue("p99_ms", "–"), cpu(step.getJsonObject("cpu")),
            step.getValue("generator_cores", "–"), stolen(step)));
      }
      md.append('\n');
      JsonObject floor = e2e.getJsonObject("relay_floor");
      if (floor != null && floor.getJsonArray("steps") != null) {
        md.append("The floor, in the same run: the same webhooks to as many sockets in groups of the same size through a "
            + "bare Vert.x relay that answers each POST and pushes its body without parsing, verifying or storing it "
            + "(`BareServer`). Its CPU is the relay's alone; the generator's cores are the benchmark JVM's, which sends the "
            + "webhooks and holds the agents' sockets.\n\n| msg/s | p50 ms | p99 ms | frames received / expected "
            + "| POST p99 ms | relay CPU µs per message | generator cores | CPU stolen |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Object o : floor.getJsonArray("steps")) {
          JsonObject step = (JsonObject) o;
          JsonObject l = step.getJsonObject("ws_latency");
          md.append(cells(n(step.getLong("offered_per_s")), l.getValue("p50_ms", "–"), l.getValue("p99_ms", "–"),
              frames(step), step.getJsonObject("post_latency").getValue("p99_ms", "–"),
              step.getValue("cpu_us_per_message", "–"), step.getValue("generator_cores", "–"), stolen(step)));
        }
        md.append('\n');
      }
    }
    JsonObject connections = report.getJsonObject("connections");
    if (connections != null) {
      md.append("## Connections\n\n| figure | value |\n|---|---:|\n")
          .append(row("held (attempted)", n(connections.getLong("held")) + " (" + n(connections.getLong("attempted")) + ")"))
          .append(row("bound", connections.getString("bound")))
          .append(row("connect time", connections.getDouble("connect_seconds") + " s"))
          .append(row("heap per connection", n(connections.getLong("heap_per_connection_bytes")) + " B"))
          .append(row("RSS per connection", n(connections.getLong("rss_per_connection_bytes")) + " B"))
          .append(row("RSS with them (after fan-out)", mib(connections.getLong("rss_after_bytes")) + " MiB ("
              + mib(connections.getLong("rss_after_fanout_bytes")) + " MiB)"))
          .append(row("RSS projected at 100,000", mib(connections.getLong("projected_rss_at_100k_bytes")) + " MiB"))
          .append(row("fan-out", n(connections.getLong("fanout_deliveries")) + " of "
              + n(connections.getLong("fanout_deliveries_expected")) + " `message.created` frames in "
              + connections.getDouble("fanout_seconds") + " s = " + n(connections.getLong("fanout_deliveries_per_s"))
              + "/s (all frames: " + n(connections.getLong("fanout_frames_per_s")) + "/s)"))
          .append('\n');
    }
    JsonObject dispatch = report.getJsonObject("dispatch");
    if (dispatch != null) {
      JsonObject l = dispatch.getJsonObject("latency_to_sent");
      md.append("## Dispatch\n\n| figure | value |\n|---|---:|\n")
          .append(row("numbers × throughput", dispatch.getInteger("numbers") + " × " + dispatch.getInteger("number_throughput_per_s") + "/s"))
          .append(row("offered", n(dispatch.getLong("offered_per_s")) + "/s to " + n(dispatch.getLong("conversations")) + " conversations"))
          .append(row("accepted (refused)", n(dispatch.getLong("accepted")) + " (" + n(dispatch.getLong("refused")) + ")"))
          .append(row("REST accept p50 / p99", dispatch.getJsonObject("accept_latency").getValue("p50_ms", "–") + " / "
              + dispatch.getJsonObject("accept_latency").getValue("p99_ms", "–") + " ms"))
          .append(row("sent", n(dispatch.getLong("sent")) + " at " + n(dispatch.getLong("sent_per_s")) + "/s"))
          .append(row("CPU while sending (cores)", "Parley " + dispatch.getValue("parley_cpu_cores", "–")
              + ", PostgreSQL " + dispatch.getValue("postgres_cpu_cores", "–")))
          .append(row("to sent p50 / p99 / p99.9 / max", l.getValue("p50_ms", "–") + " / " + l.getValue("p99_ms", "–")
              + " / " + l.getValue("p999_ms", "–") + " / " + l.getValue("max_ms", "–") + " ms"))
          .append(row("pacing violations", dispatch.getLong("pacing_violations") + " (130429: "
              + dispatch.getLong("rate_limited_130429") + ", 131056: " + dispatch.getLong("pair_rate_limited_131056")
              + ", busiest number-second " + dispatch.getInteger("busiest_number_second") + ")"))
          .append('\n');
    }
    JsonObject list = report.getJsonObject("conversation_list");
    if (list != null) {
      md.append("## Conversation list\n\n").append(n(list.getLong("conversations"))).append(" conversations, ")
          .append(n(list.getLong("messages"))).append(" messages (database ").append(list.getString("database_size"))
          .append("); each filter at ").append(list.getInteger("rate_per_filter")).append(" requests/s.\n\n")
          .append("| filter | p50 ms | p99 ms | p99.9 ms | max ms | failed | seconds with a request over 20 ms "
              + "| CPU stolen during the step | PostgreSQL checkpoints / autovacuum runs |\n"
              + "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Object o : list.getJsonArray("filters")) {
        JsonObject step = (JsonObject) o;
        JsonObject l = step.getJsonObject("latency");
        JsonArray slowest = step.getJsonArray("slowest_ms_per_second", new JsonArray());
        long slowSeconds = slowest.stream().filter(ms -> ((Number) ms).doubleValue() > 20).count();
        md.append("| ").append(step.getString("filter")).append(" | ").append(l.getValue("p50_ms", "–")).append(" | ")
            .append(l.getValue("p99_ms", "–")).append(" | ").append(l.getValue("p999_ms", "–")).append(" | ")
            .append(l.getValue("max_ms", "–")).append(" | ").append(step.getLong("failed") + step.getLong("skipped"))
            .append(" | ").append(slowSeconds).append(" of ").append(slowest.size()).append(" | ")
            .append(stolen(step))
            .append(" | ").append(step.getValue("checkpoints", "–")).append(" / ").append(step.getValue("autovacuum_runs", "–"))
            .append(" |\n");
      }
      md.append('\n');
    }
    if (!charts.isEmpty()) {
      md.append("## Charts\n\n");
      charts.forEach(chart -> md.append("![").append(chart).append("](").append(chart).append(")\n\n"));
    }
    return md.toString();
  }

  /** The targets table (also printed at the end of a run). */
  static String targets(JsonObject report) {
    var md = new StringBuilder("| target | measured | met |\n|---|---:|---|\n");
    JsonObject ingest = report.getJsonObject("ingest");
    JsonObject ceilings = report.getJsonObject("ceilings");
    if (ingest != null) {
      String ratio = "";
      JsonObject fiftyRun = ingest.getJsonObject("batch_50");
      if (ceilings != null && fiftyRun != null) {
        ratio = String.format(Locale.ROOT, " (%.0f %% of PostgreSQL's batched-insert rows/s)",
            100.0 * fiftyRun.getLong("sustained_events_per_s")
                / ceilings.getJsonObject("postgres").getLong("batched_insert_rows_per_s"));
      }
      JsonObject one = ingest.getJsonObject("batch_1");
      if (one != null) {
        long webhooks = one.getLong("sustained_events_per_s");
        String ratios = "";
        if (ceilings != null) {
          JsonObject pg = ceilings.getJsonObject("postgres");
          ratios = String.format(Locale.ROOT, "; %.0f %% of the bare HTTP POST rate", 100.0 * webhooks
              / ceilings.getJsonObject("http").getLong("posts_per_s"));
          if (pg.getLong("log_append_rows_per_s") != null) {
            ratios += String.format(Locale.ROOT, ", %.0f %% of the log-append ceiling", 100.0 * webhooks
                / pg.getLong("log_append_rows_per_s"));
          }
        }
        md.append(row("single-message webhooks ≥ 5,000/s durably acknowledged (p99 ≤ 50 ms)", n(webhooks) + "/s"
            + ratios, webhooks >= 5_000 ? "yes" : "no"));
      }
      JsonObject fifty = ingest.getJsonObject("batch_50");
      if (fifty != null) {
        long events = fifty.getLong("sustained_events_per_s");
        md.append(row("webhooks of 50 events ≥ 20,000 events/s", n(events) + " events/s" + ratio,
            events >= 20_000 ? "yes" : "no"));
      }
    }
    JsonObject e2e = report.getJsonObject("e2e_latency");
    if (e2e != null) {
      for (Object o : e2e.getJsonArray("steps")) {
        JsonObject step = (JsonObject) o;
        long rate = step.getLong("offered_per_s");
        double p50Limit = rate == 250 ? 3 : rate == 1_000 ? 5 : -1;
        double p99Limit = rate == 250 ? 15 : rate == 1_000 ? 25 : rate == 2_000 ? 50 : -1;
        if (p99Limit < 0) {
          continue;
        }
        JsonObject latency = step.getJsonObject("ws_latency");
        double p50 = latency.getDouble("p50_ms", Double.MAX_VALUE);
        double p99 = latency.getDouble("p99_ms", Double.MAX_VALUE);
        boolean complete = step.getLong("frames_received") >= step.getLong("frames_expected");
        String goal = (p50Limit > 0 ? "p50 ≤ " + (int) p50Limit + " ms, " : "") + "p99 ≤ " + (int) p99Limit + " ms";
        md.append(row("webhook → agent frame " + goal + " at " + n(rate) + " msg/s (" + e2e.getInteger("agents")
                + " agents)", (p50Limit > 0 ? p50 + " / " : "") + p99 + " ms" + (complete ? "" : " (frames missing)"),
            (p50Limit < 0 || p50 <= p50Limit) && p99 <= p99Limit && complete ? "yes" : "no"));
        if (rate == 1_000 && step.getJsonObject("cpu") != null) {
          Object total = step.getJsonObject("cpu").getValue("total_us_per_message");
          md.append(row("CPU per message at 1,000 msg/s (Parley + PostgreSQL + Redis) ≤ 400 µs",
              cpu(step.getJsonObject("cpu")), total instanceof Number n && n.longValue() <= 400 ? "yes" : "no"));
        }
      }
    }
    JsonObject connections = report.getJsonObject("connections");
    if (connections != null) {
      long projected = connections.getLong("projected_rss_at_100k_bytes");
      md.append(row("100,000 WebSockets in ≤ 4 GiB", n(connections.getLong("held")) + " held (" + connections.getString("bound")
          + "); projected RSS at 100k: " + mib(projected) + " MiB",
          connections.getLong("held") >= 100_000 ? (projected <= 4L << 30 ? "yes" : "no")
              : projected <= 4L << 30 ? "memory yes; count not reachable here" : "no"));
    }
    JsonObject dispatch = report.getJsonObject("dispatch");
    if (dispatch != null) {
      md.append(row("dispatch ≥ 5,000 msg/s, zero pacing violations", n(dispatch.getLong("sent_per_s")) + " msg/s, "
          + dispatch.getLong("pacing_violations") + " violations",
          dispatch.getLong("sent_per_s") >= 5_000 && dispatch.getLong("pacing_violations") == 0 ? "yes" : "no"));
    }
    JsonObject list = report.getJsonObject("conversation_list");
    if (list != null) {
      double p99 = list.getJsonObject("latency").getDouble("p99_ms", Double.MAX_VALUE);
      md.append(row("conversation list p99 ≤ 20 ms at " + n(list.getLong("conversations")) + " conversations",
          p99 + " ms", p99 <= 20 ? "yes" : "no"));
    }
    return md.toString();
  }

  private static String row(String... cells) {
    return "| " + String.join(" | ", cells) + " |\n";
  }

  private static String n(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }

  private static String mib(long bytes) {
    return n(bytes >> 20);
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / (double) (1L << 30));
  }

  /** CPU µs per message: the total, then Parley / PostgreSQL / Redis. */
  private static String cpu(JsonObject cpu) {
    if (cpu == null || cpu.getValue("parley_us_per_message") == null) {
      return "–";
    }
    return (cpu.getValue("total_us_per_message") == null ? "" : cpu.getValue("total_us_per_message") + " = ")
        + cpu.getValue("parley_us_per_message") + " + " + cpu.getValue("postgres_us_per_message", "–") + " + "
        + cpu.getValue("redis_us_per_message", "–");
  }

  /** The share of CPU time the hypervisor stole during an open-loop step. */
  /** One table row of the given cells. */
  private static String cells(Object... values) {
    var row = new StringBuilder("|");
    for (Object value : values) {
      row.append(' ').append(value).append(" |");
    }
    return row.append('\n').toString();
  }

  /** "received / expected" frames of an e2e or relay step. */
  private static String frames(JsonObject step) {
    return n(step.getLong("frames_received")) + " / " + n(step.getLong("frames_expected"));
  }

  private static String stolen(JsonObject step) {
    return step.getValue("cpu_steal_percent") == null ? "–" : step.getValue("cpu_steal_percent") + " %";
  }
}
