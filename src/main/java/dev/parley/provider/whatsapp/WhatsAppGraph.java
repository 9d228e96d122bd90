package dev.parley.provider.whatsapp;

import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.ProviderException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.net.ConnectException;
import java.net.URI;
import java.util.concurrent.TimeoutException;

/**
 * The WhatsApp Cloud API (Graph API) client: sending, mark-as-read, media upload and download, and template
 * listing. The base URL is the channel's {@code api_base_url} credential when set (the provider simulator),
 * otherwise the configured Graph URL; the version is pinned by configuration. Every failure is a
 * {@link ProviderException} carrying Meta's error code, or {@link ProviderException#TIMEOUT} (no answer in
 * time: the provider may have acted), {@link ProviderException#TRANSPORT} (no connection) or
 * {@link ProviderException#UNREADABLE}.
 */
public final class WhatsAppGraph {
  /** Template listing pages followed at most (Meta pages by 25 to 100). */
  private static final int MAX_TEMPLATE_PAGES = 100;

  /** The provider accepted a message: its id ({@code wamid...}), the recipient's wa_id and the optional {@code message_status}. */
  public record Accepted(String messageId, String waId, String messageStatus) {}

  /** A media object's short-lived download URL and what the provider says about the file. */
  public record MediaInfo(String id, String url, String mimeType, String sha256, long fileSize) {}

  private final WebClient client;
  private final ParleyConfig.WhatsApp config;

  public WhatsAppGraph(Vertx vertx, ParleyConfig.WhatsApp config) {
    this.config = config;
    this.client = WebClient.create(vertx, new WebClientOptions()
            .setUserAgent("Parley")
            .setKeepAlive(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis())),
        new PoolOptions().setHttp1MaxSize(256));
  }

  /** {@code POST /{version}/{phone_number_id}/messages} with {@code message} as the complete request body. */
  public Future<Accepted> send(Channel channel, JsonObject message) {
    return call(request(channel, "POST", channel.externalId() + "/messages"), message).map(body -> {
      JsonArray messages = body.getJsonArray("messages");
      JsonObject first = messages == null || messages.isEmpty() ? null : messages.getJsonObject(0);
      if (first == null || first.getString("id") == null) {
        throw new ProviderException(ProviderException.UNREADABLE, "Unreadable answer",
            "the answer names no message id", 200);
      }
      JsonArray contacts = body.getJsonArray("contacts");
      String waId = contacts == null || contacts.isEmpty() ? null : contacts.getJsonObject(0).getString("wa_id");
      return new Accepted(first.getString("id"), waId, first.getString("message_status"));
    });
  }

  /** Marks an inbound message (and those before it) read. */
  public Future<Void> markRead(Channel channel, String providerMessageId) {
    return call(request(channel, "POST", channel.externalId() + "/messages"), new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("status", "read")
        .put("message_id", providerMessageId))
        .mapEmpty();
  }

  /** Uploads a file; answers the provider's media id. */
  public Future<String> upload(Channel channel, Buffer bytes, String mimeType, String filename) {
    MultipartForm form = MultipartForm.create()
        .attribute("messaging_product", "whatsapp")
        .attribute("type", mimeType)
        .binaryFileUpload("file", filename == null ? "file" : filename, bytes, mimeType);
    return answer(request(channel, "POST", channel.externalId() + "/media").sendMultipartForm(form))
        .map(body -> {
          String id = body.getString("id");
          if (id == null) {
            throw new ProviderException(ProviderException.UNREADABLE, "Unreadable answer", "no media id", 200);
          }
          return id;
        });
  }

  /** {@code GET /{version}/{media_id}}: the short-lived URL and the file's type, hash and size. */
  public Future<MediaInfo> media(Channel channel, String mediaId) {
    return answer(request(channel, "GET", mediaId).send()).map(body -> {
      Object size = body.getValue("file_size");
      long fileSize;
      try {
        fileSize = size == null ? -1 : Long.parseLong(size.toString()); // a string or a number, by source
      } catch (NumberFormatException e) {
        fileSize = -1;
      }
      if (body.getString("url") == null) {
        throw new ProviderException(ProviderException.UNREADABLE, "Unreadable answer", "no media url", 200);
      }
      return new MediaInfo(body.getString("id", mediaId), body.getString("url"), body.getString("mime_type"),
          body.getString("sha256"), fileSize);
    });
  }

  /** Downloads from a URL {@link #media} answered, with the bearer token; fails past {@code maxBytes}. */
  public Future<Buffer> download(Channel channel, String url, long maxBytes) {
    URI uri = URI.create(url);
    HttpRequest<Buffer> request = client.requestAbs(io.vertx.core.http.HttpMethod.GET, url)
        .timeout(config.requestTimeout().toMillis())
        .bearerTokenAuthentication(token(channel));
    return request.send().recover(WhatsAppGraph::transport).map(response -> {
      if (response.statusCode() / 100 != 2) {
        throw error(response);
      }
      Buffer body = response.body() == null ? Buffer.buffer() : response.body();
      if (body.length() > maxBytes) {
        throw new ProviderException(131052, "Media download error",
            "the file from " + uri.getHost() + " has " + body.length() + " bytes; at most " + maxBytes, 200);
      }
      return body;
    });
  }

  /** Every page of {@code GET /{version}/{waba_id}/message_templates}: the templates as the provider lists them. */
  public Future<JsonArray> templates(Channel channel) {
    String waba = channel.secrets().get(ChannelSecrets.WABA_ID);
    if (waba == null) {
      return Future.failedFuture(new ProviderException(100, "Invalid parameter",
          "the channel has no waba_id credential, so its templates cannot be listed", 0));
    }
    var all = new JsonArray();
    return templatePage(channel, request(channel, "GET", waba + "/message_templates").addQueryParam("limit", "100"),
        all, 0).map(all);
  }

  private Future<Void> templatePage(Channel channel, HttpRequest<Buffer> request, JsonArray all, int page) {
    return answer(request.send()).compose(body -> {
      JsonArray data = body.getJsonArray("data", new JsonArray());
      all.addAll(data);
      JsonObject paging = body.getJsonObject("paging");
      String next = paging == null ? null : paging.getString("next");
      if (next == null || data.isEmpty() || page + 1 >= MAX_TEMPLATE_PAGES) {
        return Future.succeededFuture();
      }
      return templatePage(channel, client.requestAbs(io.vertx.core.http.HttpMethod.GET, next)
          .timeout(config.requestTimeout().toMillis())
          .bearerTokenAuthentication(token(channel)), all, page + 1);
    });
  }

  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  private HttpRequest<Buffer> request(Channel channel, String method, String path) {
    String base = channel.secrets().get(ChannelSecrets.API_BASE_URL);
    if (base == null || base.isBlank()) {
      base = config.graphUrl();
    }
    String url = (base.endsWith("/") ? base : base + "/") + config.graphVersion() + "/" + path;
    return client.requestAbs(io.vertx.core.http.HttpMethod.valueOf(method), url)
        .timeout(config.requestTimeout().toMillis())
        .bearerTokenAuthentication(token(channel));
  }

  private static String token(Channel channel) {
    String token = channel.secrets().get(ChannelSecrets.ACCESS_TOKEN);
    return token == null ? "" : token;
  }

  private Future<JsonObject> call(HttpRequest<Buffer> request, JsonObject body) {
    return answer(request.sendJsonObject(body));
  }

  private static Future<JsonObject> answer(Future<HttpResponse<Buffer>> sent) {
    return sent.recover(WhatsAppGraph::transport).map(response -> {
      if (response.statusCode() / 100 != 2) {
        throw error(response);
      }
      try {
        JsonObject body = response.bodyAsJsonObject();
        if (body == null) {
          throw new DecodeException("empty");
        }
        return body;
      } catch (DecodeException | ClassCastException e) {
        throw new ProviderException(ProviderException.UNREADABLE, "Unreadable answer",
            "HTTP " + response.statusCode() + " without a JSON object", response.statusCode());
      }
    });
  }

  /** Meta's error body ({@code {"error":{"message","type","code","error_data":{"details"}}}}) as an exception. */
  private static ProviderException error(HttpResponse<Buffer> response) {
    JsonObject error = null;
    try {
      JsonObject body = response.bodyAsJsonObject();
      error = body == null ? null : body.getJsonObject("error");
    } catch (DecodeException | ClassCastException e) {
      // not Meta's format: a proxy's page, a bare status
    }
    if (error == null || !(error.getValue("code") instanceof Number code)) {
      return new ProviderException(ProviderException.UNREADABLE, "HTTP " + response.statusCode(),
          response.statusMessage(), response.statusCode());
    }
    JsonObject data = error.getJsonObject("error_data");
    return new ProviderException(code.intValue(), error.getString("message", "error " + code),
        data == null ? null : data.getString("details"), response.statusCode());
  }

  private static <T> Future<T> transport(Throwable failure) {
    if (failure instanceof ProviderException) {
      return Future.failedFuture(failure);
    }
    if (failure instanceof TimeoutException || failure instanceof io.vertx.core.http.StreamResetException
        || String.valueOf(failure.getMessage()).contains("timeout")) {
      return Future.failedFuture(new ProviderException(ProviderException.TIMEOUT, "No answer",
          failure.getMessage(), 0));
    }
    String kind = failure instanceof ConnectException ? "Connection refused" : "Connection failed";
    return Future.failedFuture(new ProviderException(ProviderException.TRANSPORT, kind, failure.toString(), 0));
  }
}
