package dev.parley.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's PNG charts (XChart): latency percentiles against offered rate, throughput over time. */
final class Charts {
  private Charts() {}

  /** Writes every chart the report has data for; answers the file names. */
  static List<String> write(JsonObject report, Path dir) throws IOException {
    List<String> written = new ArrayList<>();
    JsonObject ingest = report.getJsonObject("ingest");
    if (ingest != null) {
      XYChart latency = chart("Ingest: webhook latency against offered rate", "offered events/s", "latency (ms, log)");
      latency.getStyler().setYAxisLogarithmic(true);
      XYChart throughput = chart("Ingest: committed events per second over time", "seconds since start", "events/s");
      for (String batch : List.of("batch_1", "batch_50")) {
        JsonObject run = ingest.getJsonObject(batch);
        if (run == null) {
          continue;
        }
        JsonArray steps = run.getJsonArray("steps");
        for (String p : List.of("p50_ms", "p99_ms", "p999_ms")) {
          add(latency, batch.replace('_', ' ') + " " + p.replace("_ms", ""), steps, "offered_events_per_s",
              step -> step.getJsonObject("latency").getDouble(p, 0.0));
        }
        var x = new ArrayList<Double>();
        var y = new ArrayList<Double>();
        double t = 0;
        for (int i = 0; i < steps.size(); i++) {
          JsonObject step = steps.getJsonObject(i);
          JsonArray perSecond = step.getJsonArray("completed_per_second");
          int perWebhook = batch.equals("batch_1") ? 1 : 50;
          for (int s = 0; s < perSecond.size(); s++) {
            x.add(t++);
            y.add(perSecond.getLong(s) * (double) perWebhook);
          }
          t += 1;
        }
        if (!x.isEmpty()) {
          throughput.addSeries(batch.replace('_', ' ') + " (events acknowledged)", x, y).setMarker(SeriesMarkers.NONE);
        }
      }
      save(latency, dir, "ingest-latency", written);
      save(throughput, dir, "ingest-throughput", written);
    }
    JsonObject e2e = report.getJsonObject("e2e_latency");
    if (e2e != null) {
      XYChart chart = chart("Webhook to agent's WebSocket frame (" + e2e.getInteger("agents") + " agents)",
          "offered messages/s", "latency (ms, log)");
      chart.getStyler().setYAxisLogarithmic(true);
      for (String p : List.of("p50_ms", "p99_ms", "p999_ms", "max_ms")) {
        add(chart, p.replace("_ms", ""), e2e.getJsonArray("steps"), "offered_per_s",
            step -> step.getJsonObject("ws_latency").getDouble(p, 0.0));
      }
      save(chart, dir, "e2e-latency", written);
    }
    JsonObject dispatch = report.getJsonObject("dispatch");
    if (dispatch != null) {
      XYChart chart = chart("Dispatch: messages reaching sent per second", "seconds since start", "messages/s");
      JsonArray perSecond = dispatch.getJsonArray("sent_per_second");
      var x = new ArrayList<Double>();
      var y = new ArrayList<Double>();
      for (int s = 0; s < perSecond.size(); s++) {
        x.add((double) s);
        y.add(perSecond.getLong(s).doubleValue());
      }
      chart.addSeries("sent", x, y).setMarker(SeriesMarkers.NONE);
      save(chart, dir, "dispatch-throughput", written);
    }
    return written;
  }

  private interface Value {
    double of(JsonObject step);
  }

  private static void add(XYChart chart, String name, JsonArray steps, String xField, Value value) {
    var x = new ArrayList<Double>();
    var y = new ArrayList<Double>();
    for (int i = 0; i < steps.size(); i++) {
      JsonObject step = steps.getJsonObject(i);
      double v = value.of(step);
      if (v > 0) {
        x.add(step.getDouble(xField));
        y.add(v);
      }
    }
    if (!x.isEmpty()) {
      XYSeries series = chart.addSeries(name, x, y);
      series.setMarker(SeriesMarkers.CIRCLE);
    }
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle(x).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
    chart.getStyler().setMarkerSize(6);
    return chart;
  }

  private static void save(XYChart chart, Path dir, String name, List<String> written) throws IOException {
    if (chart.getSeriesMap().isEmpty()) {
      return;
    }
    BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapFormat.PNG);
    written.add(name + ".png");
  }
}
