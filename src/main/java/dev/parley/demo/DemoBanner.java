package dev.parley.demo;

import dev.parley.config.ParleyConfig;
import dev.parley.provider.HubSignature;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** What Parley prints at start when the demo is enabled: how to sign in, and commands to try at once. */
public final class DemoBanner {
  private DemoBanner() {}

  public static String text(ParleyConfig.Demo demo, int port) {
    String base = "http://localhost:" + port;
    String webhook = base + "/webhooks/whatsapp/" + demo.channelId();
    String body = samplePayload(demo, Instant.now()).encode();
    String signature = HubSignature.sign(body.getBytes(StandardCharsets.UTF_8), demo.appSecret());
    return String.join("\n",
        "",
        "Parley is running on " + base,
        "  Inbox             : " + base + "/inbox/  (sign in below; \"Simulate customer\" makes a customer write)",
        "  Demo organization : " + demo.organizationName(),
        "  Admin sign-in     : " + demo.adminEmail() + " / " + demo.adminPassword(),
        "  Agent sign-in     : " + demo.agentEmail() + " / " + demo.agentPassword(),
        "  WhatsApp channel  : " + demo.channelId() + " (phone_number_id " + demo.phoneNumberId() + ")",
        "  Health / metrics  : " + base + "/health/ready   " + base + "/metrics",
        "",
        "Verify the webhook the way Meta does:",
        "  curl '" + webhook + "?hub.mode=subscribe&hub.verify_token=" + demo.verifyToken() + "&hub.challenge=1158201444'",
        "",
        "Sign in (answers an access_token):",
        "  curl -s -X POST '" + base + "/api/v1/auth/login' -H 'Content-Type: application/json' -d '"
            + new JsonObject().put("email", demo.agentEmail()).put("password", demo.agentPassword()).encode() + "'",
        "",
        "Watch the inbox live: open a WebSocket to ws://localhost:" + port + "/ws?access_token=<access_token>",
        "  and send {\"type\":\"view\",\"view\":\"chats\"}; every change arrives as a numbered event frame.",
        "",
        "Post a signed customer message (posting it twice stores it once):",
        "  curl -i -X POST '" + webhook + "' -H 'Content-Type: application/json' -H '"
            + HubSignature.HEADER + ": " + signature + "' --data-binary '" + body + "'",
        "");
  }

  /** How to drive the built-in provider simulator the demo channel sends to. */
  public static String simulatorText(ParleyConfig.Demo demo, String simulatorUrl) {
    String customer = new JsonObject().put("phone_number_id", demo.phoneNumberId()).put("wa_id", "16505551234")
        .put("name", "Sheena Nelson").put("text", "Hi! Is my order on its way?").encode();
    return String.join("\n",
        "WhatsApp provider simulator: " + simulatorUrl + " (the demo channel sends there; statuses come back signed)",
        "  Have a customer write (opens the 24-hour window, so agents can answer):",
        "  curl -X POST '" + simulatorUrl + "/_simulator/customers/messages' -H 'Content-Type: application/json' -d '"
            + customer + "'",
        "  What it received: curl '" + simulatorUrl + "/_simulator/stats/" + demo.phoneNumberId() + "'",
        "");
  }

  /** A text message from a customer, shaped exactly like a WhatsApp Cloud API webhook. */
  static JsonObject samplePayload(ParleyConfig.Demo demo, Instant at) {
    long seconds = at.getEpochSecond();
    var message = new JsonObject()
        .put("from", "16505551234")
        .put("id", "wamid.DEMO" + seconds)
        .put("timestamp", Long.toString(seconds))
        .put("type", "text")
        .put("text", new JsonObject().put("body", "Hi! Does it come in another color?"));
    var value = new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("metadata", new JsonObject()
            .put("display_phone_number", demo.displayPhoneNumber())
            .put("phone_number_id", demo.phoneNumberId()))
        .put("contacts", new JsonArray().add(new JsonObject()
            .put("profile", new JsonObject().put("name", "Sheena Nelson"))
            .put("wa_id", "16505551234")))
        .put("messages", new JsonArray().add(message));
    return new JsonObject()
        .put("object", "whatsapp_business_account")
        .put("entry", new JsonArray().add(new JsonObject()
            .put("id", "102290129340398")
            .put("changes", new JsonArray().add(new JsonObject().put("value", value).put("field", "messages")))));
  }
}
