package dev.parley.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import org.HdrHistogram.Histogram;

/** Histogram (microseconds) summaries in milliseconds, as the report writes them. */
final class Stats {
  private Stats() {}

  static JsonObject latency(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return new JsonObject().put("count", 0);
    }
    return new JsonObject()
        .put("count", micros.getTotalCount())
        .put("mean_ms", ms(micros.getMean()))
        .put("p50_ms", ms(micros.getValueAtPercentile(50)))
        .put("p90_ms", ms(micros.getValueAtPercentile(90)))
        .put("p99_ms", ms(micros.getValueAtPercentile(99)))
        .put("p999_ms", ms(micros.getValueAtPercentile(99.9)))
        .put("max_ms", ms(micros.getMaxValue()));
  }

  static double ms(double micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }

  static JsonArray series(long[] values) {
    var array = new JsonArray();
    for (long value : values) {
      array.add(value);
    }
    return array;
  }

  /** The common fields of an open-loop step. */
  static JsonObject step(OpenLoop.Result result) {
    return new JsonObject()
        .put("offered_per_s", round(result.offeredPerSecond(), 1))
        .put("achieved_per_s", round(result.achievedPerSecond(), 1))
        .put("issued", result.issued())
        .put("succeeded", result.succeeded())
        .put("failed", result.failed())
        .put("skipped", result.skipped())
        .put("seconds", result.seconds())
        .put("latency", latency(result.latency()))
        .put("completed_per_second", series(result.completedPerSecond()))
        .put("slowest_ms_per_second", Arrays.stream(result.slowestPerSecond())
            .mapToObj(micros -> round(micros / 1000.0, 1)).collect(JsonArray::new, JsonArray::add, JsonArray::addAll))
        .put("cpu_steal_percent", result.steal() < 0 ? null : result.steal())
        .put("cpu_steal_percent_per_second", Arrays.stream(result.stealPerSecond())
            .boxed().collect(JsonArray::new, JsonArray::add, JsonArray::addAll));
  }
}
