package dev.parley.bench;

import dev.parley.bench.Fixtures.BenchChannel;
import dev.parley.provider.HubSignature;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * WhatsApp Cloud API webhooks as Meta sends them ({@code whatsapp_business_account} envelope, compact JSON,
 * {@code X-Hub-Signature-256} over the exact bytes), built with a string builder so the generator spends its CPU
 * on sending. A mix draws each event: text message, image message (media id and SHA-256, as Meta sends them) or
 * a delivery status for an earlier outbound message.
 */
final class Webhooks {
  /** A signed body ready to post, and how many customer messages and statuses it carries. */
  record Signed(String path, Buffer body, String signature, int messages, int statuses) {}

  /** A file the provider (simulator) holds for a number: image messages name it, so Parley's fetch succeeds. */
  record Media(String id, String sha256) {}

  private static final AtomicLong IDS = new AtomicLong();
  private final Map<String, Media> media = new ConcurrentHashMap<>();
  private final String run = Long.toString(System.currentTimeMillis(), 36);

  /** Share of events that are images and statuses; the rest are text. */
  private final double images;
  private final double statuses;
  /** How many distinct customers write to each number. */
  private final int customers;

  Webhooks(double images, double statuses, int customers) {
    this.images = images;
    this.statuses = statuses;
    this.customers = customers;
  }

  /** Image messages of the channel's number name this file (otherwise an id the provider does not know). */
  void media(BenchChannel channel, Media file) {
    media.put(channel.phoneNumberId(), file);
  }

  /** A webhook of {@code events} events of the mix from random customers of the channel. */
  Signed mixed(BenchChannel channel, int events) {
    return build(channel, events, null, -1);
  }

  /** One text message whose body is {@code text}, from customer {@code customer} (0-based). */
  Signed text(BenchChannel channel, int customer, String text) {
    return build(channel, 1, text, customer);
  }

  private Signed build(BenchChannel channel, int events, String fixedText, int fixedCustomer) {
    var random = ThreadLocalRandom.current();
    long now = System.currentTimeMillis() / 1000;
    var messages = new StringBuilder(events * 220);
    var contacts = new StringBuilder(events * 80);
    var statusList = new StringBuilder();
    int messageCount = 0;
    int statusCount = 0;
    for (int i = 0; i < events; i++) {
      int customer = fixedCustomer >= 0 ? fixedCustomer : random.nextInt(customers);
      String waId = waId(channel, customer);
      double draw = fixedText != null ? 1 : random.nextDouble();
      String id = "wamid.bench" + run + "." + IDS.incrementAndGet();
      if (draw < statuses) {
        if (statusCount++ > 0) {
          statusList.append(',');
        }
        statusList.append("{\"id\":\"").append(id).append("\",\"status\":\"delivered\",\"timestamp\":\"").append(now)
            .append("\",\"recipient_id\":\"").append(waId).append("\",\"conversation\":{\"id\":\"bench-conv\","
                + "\"origin\":{\"type\":\"service\"}},\"pricing\":{\"billable\":true,\"pricing_model\":\"PMP\","
                + "\"category\":\"service\"}}");
        continue;
      }
      if (messageCount++ > 0) {
        messages.append(',');
        contacts.append(',');
      }
      contacts.append("{\"profile\":{\"name\":\"Customer ").append(customer).append("\"},\"wa_id\":\"").append(waId)
          .append("\"}");
      messages.append("{\"from\":\"").append(waId).append("\",\"id\":\"").append(id).append("\",\"timestamp\":\"")
          .append(now).append('"');
      if (fixedText == null && draw < statuses + images) {
        Media file = media.getOrDefault(channel.phoneNumberId(),
            new Media(Long.toString(900_000_000_000L + IDS.incrementAndGet()), "b1HMo7H0F8hq1pdhMHrGsH1CvmeRu8ZbDcVQX2nU9Ik="));
        messages.append(",\"type\":\"image\",\"image\":{\"caption\":\"photo ").append(i)
            .append("\",\"mime_type\":\"image/jpeg\",\"sha256\":\"").append(file.sha256()).append("\",\"id\":\"")
            .append(file.id()).append("\"}}");
      } else {
        String body = fixedText != null ? fixedText : "Hello, I have a question about order " + random.nextInt(1_000_000);
        messages.append(",\"text\":{\"body\":\"").append(body).append("\"},\"type\":\"text\"}");
      }
    }
    var json = new StringBuilder(messages.length() + contacts.length() + statusList.length() + 400);
    json.append("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"bench-waba\",\"changes\":[");
    boolean first = true;
    if (messageCount > 0) {
      value(json, channel).append(",\"contacts\":[").append(contacts).append("],\"messages\":[").append(messages)
          .append("]},\"field\":\"messages\"}");
      first = false;
    }
    if (statusCount > 0) {
      if (!first) {
        json.append(',');
      }
      value(json, channel).append(",\"statuses\":[").append(statusList).append("]},\"field\":\"messages\"}");
    }
    json.append("]}]}");
    byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
    return new Signed(channel.webhookPath(), Buffer.buffer(bytes), HubSignature.sign(bytes, Fixtures.APP_SECRET),
        messageCount, statusCount);
  }

  private static StringBuilder value(StringBuilder json, BenchChannel channel) {
    return json.append("{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"")
        .append(channel.displayNumber()).append("\",\"phone_number_id\":\"").append(channel.phoneNumberId()).append("\"}");
  }

  /** A valid German mobile number, unique per (channel, customer). */
  static String waId(BenchChannel channel, int customer) {
    long n = (Long.parseLong(channel.phoneNumberId()) % 1000) * 100_000L + customer;
    return "49151" + String.format("%08d", n);
  }
}
