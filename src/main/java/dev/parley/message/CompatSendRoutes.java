package dev.parley.message;

import dev.parley.auth.Principal;
import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.contact.PhoneNumbers;
import dev.parley.conversation.Changes;
import dev.parley.conversation.Committer;
import dev.parley.conversation.Timeline;
import dev.parley.dispatch.Sender;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Routes;
import dev.parley.store.ChannelStore;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactStore.ContactRef;
import dev.parley.store.ConversationStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /functions/v1/{channel}-send}, as the multi-channel platform's integrations call it: body
 * {@code {"phone_number","message","organization_id","contact_id"}} (plus {@code media_url} and {@code media_type} for
 * a file sent by link, {@code message} then being its caption), authenticated by an API key. {@code {channel}} is a
 * channel id or a provider name ({@code whatsapp}, {@code whatsapp_cloud}, …: the organization's one active channel
 * of that provider). The contact is found by its E.164 number (created when new), its conversation on the channel
 * is the open one (else the latest, reopened; else a new one), and the message goes through the {@link Sender} as
 * {@code automation}, so every sending rule applies. Answers {@code {"success":true,"message_id","status",…}} or
 * {@code {"success":false,"error":{"code","message"}}} with the status of the refusal. An {@code Idempotency-Key}
 * header makes a retried call answer the first call's message.
 */
public final class CompatSendRoutes implements Routes {
  private static final Set<String> MEDIA_TYPES = Set.of("image", "video", "audio", "document", "sticker");

  private final Committer committer;
  private final ChannelStore channels;
  private final Sender sender;
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();
  private final Timeline timeline = new Timeline();

  public CompatSendRoutes(Committer committer, ChannelStore channels, Sender sender) {
    this.committer = committer;
    this.channels = channels;
    this.sender = sender;
  }

  @Override
  public void mount(Router functions) {
    functions.post("/:channel-send").handler(this::send);
  }

  /** What the body asks for, checked. */
  private record SendRequest(PhoneNumbers.Normalized number, UUID contactId, JsonObject message) {}

  private void send(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    if (caller.isUser()) {
      throw new ApiException(403, "service_only", "this route is for integrations: authenticate with an API key");
    }
    JsonObject body = Api.body(ctx);
    Object organization = body.getValue("organization_id");
    if (organization != null
        && !caller.organizationId().equals(Api.id(organization, "organization_id is not an id"))) {
      throw new ApiException(403, "organization_mismatch", "organization_id is not the API key's organization");
    }
    SendRequest request = request(body);
    String key = ctx.request().getHeader("Idempotency-Key"); // checked by the Sender
    var automation = new Sender.Caller(caller.organizationId(), "automation", null);
    channel(caller.organizationId(), ctx.pathParam("channel"))
        .compose(channel -> committer.transaction((tx, changes) ->
            conversation(tx, channel, request, changes)))
        .compose(opened -> sender.send(automation, opened.conversationId(), request.message(), key)
            .map(outcome -> new JsonObject()
                .put("success", true)
                .put("message_id", outcome.message().getString("id"))
                .put("status", outcome.message().getString("status"))
                .put("conversation_id", opened.conversationId().toString())
                .put("contact_id", opened.contactId().toString())
                .put("replayed", outcome.replayed())))
        .onSuccess(answer -> Api.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  private static SendRequest request(JsonObject body) {
    Object phone = body.getValue("phone_number");
    if (!(phone instanceof String written) || written.isBlank()) {
      throw ApiException.invalid("phone_number is required, with its country code (+14155550123)");
    }
    // as lenient as the inbound pipeline (a possible number with its country code), so that every contact a
    // customer's own messages created is found again by the number they wrote from
    PhoneNumbers.Normalized number = PhoneNumbers.fromInternational(written).orElseThrow(() -> new ApiException(400,
        "invalid_phone_number", "phone_number must be a phone number with its country code (+14155550123)"));
    UUID contactId = Api.id(body.getValue("contact_id"), "contact_id is not an id");
    Object mediaUrl = body.getValue("media_url");
    Object mediaType = body.getValue("media_type");
    Object text = body.getValue("message");
    if (text != null && !(text instanceof String)) {
      throw ApiException.invalid("message must be a text");
    }
    JsonObject message;
    if (mediaUrl == null && mediaType == null) {
      if (text == null || ((String) text).isBlank()) {
        throw ApiException.invalid("message is required");
      }
      message = new JsonObject().put("type", "text").put("text", new JsonObject().put("body", text));
    } else {
      if (!(mediaUrl instanceof String url) || url.isBlank()) {
        throw ApiException.invalid("media_url is required with media_type: the file's http(s) URL");
      }
      if (!(mediaType instanceof String type) || !MEDIA_TYPES.contains(type)) {
        throw ApiException.invalid("media_type must be one of audio, document, image, sticker, video");
      }
      JsonObject media = new JsonObject().put("link", url);
      if (text != null && !((String) text).isBlank()) {
        media.put("caption", text);
      }
      message = new JsonObject().put("type", type).put(type, media);
    }
    return new SendRequest(number, contactId, message);
  }

  /** The organization's active channel named by a channel id or a provider name. */
  private Future<Channel> channel(UUID organizationId, String name) {
    UUID id;
    try {
      id = UUID.fromString(name);
    } catch (IllegalArgumentException notAnId) {
      String provider = CompatMessageRoutes.provider(name);
      return channels.list(organizationId, provider, "active", null, null, 2).compose(found -> {
        if (found.isEmpty()) {
          throw new ApiException(404, "channel_not_found", "the organization has no active " + provider + " channel");
        }
        if (found.size() > 1) {
          throw new ApiException(409, "channel_ambiguous",
              "the organization has several active " + provider + " channels: send to /functions/v1/<channel id>-send");
        }
        return channels.find(found.get(0).id()).map(Optional::orElseThrow);
      });
    }
    return channels.find(id).map(found -> found
        .filter(channel -> channel.organizationId().equals(organizationId) && channel.active())
        .orElseThrow(() -> new ApiException(404, "channel_not_found", "no active channel " + id + " in this organization")));
  }

  /** The conversation and contact the message goes to. */
  private record Opened(UUID conversationId, UUID contactId) {}

  /**
   * Finds (or creates) the contact by number and its conversation on the channel: the open one, else the latest,
   * reopened (with a system message), else a new one. Events go out after commit.
   */
  private Future<Opened> conversation(SqlConnection tx, Channel channel, SendRequest request, Changes changes) {
    UUID org = channel.organizationId();
    return contacts.findOrCreateByNumber(tx, org, request.number().e164(), request.number().country())
        .compose(contact -> {
          if (request.contactId() != null && !request.contactId().equals(contact.id())) {
            throw new ApiException(409, "contact_mismatch",
                "contact_id is not the contact with phone_number " + request.number().e164());
          }
          if (contact.created()) {
            changes.event(OrgEvent.CONTACT_CREATED, org, contact.toJson());
          }
          Instant now = Instant.now();
          return conversations.openFor(tx, org, channel.id(), contact.id(), now).compose(opened -> {
            Future<Void> shown;
            if (opened.created()) {
              shown = conversations.find(tx, opened.id())
                  .compose(row -> timeline.changed(tx, row.orElseThrow(), contact.toJson(), null, true, changes));
            } else if (opened.reopened()) {
              shown = reopen(tx, channel, contact, opened.id(), now, changes);
            } else {
              shown = Future.succeededFuture();
            }
            return shown.map(v -> new Opened(opened.id(), contact.id()));
          });
        });
  }

  private Future<Void> reopen(SqlConnection tx, Channel channel, ContactRef contact, UUID conversationId, Instant at,
      Changes changes) {
    JsonObject content = new JsonObject().put("event", "conversation.reopened").put("by", "automation");
    return conversations.setStatus(tx, conversationId, "open")
        .compose(row -> timeline.systemMessage(tx, channel.organizationId(), channel.id(), conversationId,
            contact.toJson(), at, "Conversation reopened to send a message through the API", content, null, changes))
        .mapEmpty();
  }
}
