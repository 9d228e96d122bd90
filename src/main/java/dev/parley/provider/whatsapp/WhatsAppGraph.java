package dev.parley.provider.whatsapp;

import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.ProviderException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The WhatsApp Cloud API (Graph API) client: sending, mark-as-read, media upload and download, and template
 * listing. The base URL is the channel's {@code api_base_url} credential when it has one (the demo's simulator),
 * else {@code whatsapp.graph_url}; the version is {@code whatsapp.graph_version}; the bearer token is the channel's
 * {@code access_token}.
 *
 * <p>Every failure is a {@link ProviderException}: Meta's {@code error.code} with its {@code message} as the title
 * and {@code error_data.details} as the details; {@link ProviderException#TIMEOUT} when no answer came within
 * {@code whatsapp.request_timeout} (the provider may have acted); {@link ProviderException#TRANSPORT} when the
 * connection failed; {@link ProviderException#UNREADABLE} for an answer that is not Meta's JSON. Thread-safe; one
 * instance (one connection pool) serves every channel.
 */
public final class WhatsAppGraph {
  /** The code a download fails with when the file is larger than allowed (Meta's "Media download error"). */
  public static final int MEDIA_DOWNLOAD_ERROR = 131052;
  private static final int MAX_TEMPLATE_PAGES = 100;
  private static final int TEMPLATE_PAGE_SIZE = 100;

  /** The provider accepted a message: its id ({@code wamid...}), the recipient's wa_id and the optional {@code message_status}. */
  public record Accepted(String messageId, String waId, String messageStatus) {}

  /** A media object's short-lived download URL and what the provider says about the file. */
  public record MediaInfo(String id, String url, String mimeType, String sha256, long fileSize) {}

  private final ParleyConfig.WhatsApp config;
  private final HttpClientAgent http;
  private final WebClient web;
  private final long timeoutMillis;

  public WhatsAppGraph(Vertx vertx, ParleyConfig.WhatsApp config) {
    this.config = config;
    this.timeoutMillis = config.requestTimeout().toMillis();
    this.http = vertx.createHttpClient(new HttpClientOptions()
            .setKeepAlive(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis)),
        new PoolOptions().setHttp1MaxSize(64));
    this.web = WebClient.wrap(http, new WebClientOptions().setUserAgent("Parley"));
  }

  /** {@code POST /{version}/{phone_number_id}/messages} with {@code message} as the complete request body. */
  public Future<Accepted> send(Channel channel, JsonObject message) {
    return call(channel, HttpMethod.POST, "/" + channel.externalId() + "/messages",
        request -> request.sendJsonObject(message),
        answer -> {
          JsonObject sent = answer.getJsonArray("messages").getJsonObject(0);
          JsonArray contacts = answer.getJsonArray("contacts");
          String waId = contacts == null || contacts.isEmpty() ? null : contacts.getJsonObject(0).getString("wa_id");
          return new Accepted(required(sent.getString("id")), waId, sent.getString("message_status"));
        });
  }

  /** Marks an inbound message (and those before it) read. */
  public Future<Void> markRead(Channel channel, String providerMessageId) {
    var body = new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("status", "read")
        .put("message_id", providerMessageId);
    return call(channel, HttpMethod.POST, "/" + channel.externalId() + "/messages",
        request -> request.sendJsonObject(body),
        answer -> {
          if (!Boolean.TRUE.equals(answer.getBoolean("success"))) {
            throw new IllegalStateException("success is not true");
          }
          return null;
        });
  }

  /** Uploads a file; answers the provider's media id. */
  public Future<String> upload(Channel channel, Buffer bytes, String mimeType, String filename) {
    MultipartForm form = MultipartForm.create()
        .attribute("messaging_product", "whatsapp")
        .attribute("type", mimeType)
        .binaryFileUpload("file", filename == null || filename.isBlank() ? "file" : filename, bytes, mimeType);
    return call(channel, HttpMethod.POST, "/" + channel.externalId() + "/media",
        request -> request.sendMultipartForm(form),
        answer -> required(answer.getString("id")));
  }

  /** {@code GET /{version}/{media_id}}: the short-lived URL and the file's type, hash and size. */
  public Future<MediaInfo> media(Channel channel, String mediaId) {
    return call(channel, HttpMethod.GET, "/" + mediaId, HttpRequest::send,
        answer -> new MediaInfo(required(answer.getString("id", mediaId)), required(answer.getString("url")),
            answer.getString("mime_type"), answer.getString("sha256"), size(answer.getValue("file_size"))));
  }

  /**
   * Downloads from a URL {@link #media} answered, with the bearer token; fails past {@code maxBytes} (with
   * {@link #MEDIA_DOWNLOAD_ERROR}, as soon as the declared length or the bytes received pass it, without reading
   * the rest). The request timeout applies between bytes, so a large file may take longer as long as it flows.
   */
  public Future<Buffer> download(Channel channel, String url, long maxBytes) {
    String token = channel.secrets().get(ChannelSecrets.ACCESS_TOKEN);
    if (token == null) {
      return Future.failedFuture(noToken());
    }
    var options = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setAbsoluteURI(url)
        .putHeader("Authorization", "Bearer " + token)
        .setConnectTimeout(timeoutMillis)
        .setIdleTimeout(timeoutMillis);
    Future<Buffer> download;
    try {
      download = http.request(options).compose(request -> request.send().compose(response -> {
        if (response.statusCode() / 100 != 2) {
          return response.body().compose(body -> Future.failedFuture(error(response.statusCode(), body)));
        }
        String declared = response.getHeader("content-length");
        if (declared != null && declared.matches("[0-9]{1,18}") && Long.parseLong(declared) > maxBytes) {
          request.reset();
          return Future.failedFuture(tooLarge(maxBytes, response.statusCode()));
        }
        Promise<Buffer> received = Promise.promise();
        Buffer data = Buffer.buffer();
        response.handler(chunk -> {
          if (data.length() + (long) chunk.length() > maxBytes) {
            received.tryFail(tooLarge(maxBytes, response.statusCode()));
            request.reset();
          } else {
            data.appendBuffer(chunk);
          }
        });
        response.exceptionHandler(received::tryFail);
        response.endHandler(v -> received.tryComplete(data));
        return received.future();
      }));
    } catch (IllegalArgumentException e) { // not a URL at all
      return Future.failedFuture(new ProviderException(ProviderException.TRANSPORT, "Invalid media URL", e.getMessage(), 0));
    }
    return download.recover(failure -> Future.failedFuture(failure(failure)));
  }

  /** Every page of {@code GET /{version}/{waba_id}/message_templates}: the templates as the provider lists them. */
  public Future<JsonArray> templates(Channel channel) {
    String wabaId = channel.secrets().get(ChannelSecrets.WABA_ID);
    if (wabaId == null) {
      return Future.failedFuture(new ProviderException(100, "Invalid parameter",
          "the channel has no " + ChannelSecrets.WABA_ID + " credential", 0));
    }
    String first = base(channel) + "/" + config.graphVersion() + "/" + wabaId + "/message_templates?limit="
        + TEMPLATE_PAGE_SIZE;
    return templatePages(channel, first, new JsonArray(), 1);
  }

  private Future<JsonArray> templatePages(Channel channel, String url, JsonArray collected, int page) {
    return callAbs(channel, HttpMethod.GET, url, HttpRequest::send, answer -> answer).compose(answer -> {
      JsonArray data = answer.getJsonArray("data");
      if (data == null) {
        return Future.failedFuture(unreadable(200, "no data in the template list"));
      }
      collected.addAll(data);
      JsonObject paging = answer.getJsonObject("paging");
      String next = paging == null ? null : paging.getString("next");
      if (next == null || data.isEmpty()) {
        return Future.succeededFuture(collected);
      }
      if (page >= MAX_TEMPLATE_PAGES) {
        return Future.failedFuture(unreadable(200, "more than " + MAX_TEMPLATE_PAGES + " pages of templates"));
      }
      return templatePages(channel, next, collected, page + 1);
    });
  }

  public Future<Void> close() {
    return http.close();
  }

  // ---- plumbing ----

  private <T> Future<T> call(Channel channel, HttpMethod method, String path,
      Function<HttpRequest<Buffer>, Future<HttpResponse<Buffer>>> sending, Function<JsonObject, T> parse) {
    return callAbs(channel, method, base(channel) + "/" + config.graphVersion() + path, sending, parse);
  }

  private <T> Future<T> callAbs(Channel channel, HttpMethod method, String url,
      Function<HttpRequest<Buffer>, Future<HttpResponse<Buffer>>> sending, Function<JsonObject, T> parse) {
    String token = channel.secrets().get(ChannelSecrets.ACCESS_TOKEN);
    if (token == null) {
      return Future.failedFuture(noToken());
    }
    Future<HttpResponse<Buffer>> answer;
    try {
      answer = sending.apply(web.requestAbs(method, url)
          .bearerTokenAuthentication(token)
          .timeout(timeoutMillis));
    } catch (RuntimeException e) { // an invalid URL (a channel's api_base_url that is not one)
      return Future.failedFuture(new ProviderException(ProviderException.TRANSPORT, "Invalid Graph API URL",
          e.getMessage(), 0));
    }
    return answer.transform(result -> interpret(result, parse));
  }

  private static <T> Future<T> interpret(AsyncResult<HttpResponse<Buffer>> result, Function<JsonObject, T> parse) {
    if (result.failed()) {
      return Future.failedFuture(failure(result.cause()));
    }
    HttpResponse<Buffer> response = result.result();
    JsonObject body = json(response.body());
    if (response.statusCode() / 100 != 2 || (body != null && body.getValue("error") instanceof JsonObject)) {
      return Future.failedFuture(error(response.statusCode(), response.body()));
    }
    if (body == null) {
      return Future.failedFuture(unreadable(response.statusCode(), excerpt(response.body())));
    }
    try {
      return Future.succeededFuture(parse.apply(body));
    } catch (RuntimeException e) { // a field missing or of the wrong type
      return Future.failedFuture(unreadable(response.statusCode(), "unexpected answer: " + excerpt(response.body())));
    }
  }

  /** Meta's error body as a ProviderException; anything else as {@link ProviderException#UNREADABLE}. */
  static ProviderException error(int httpStatus, Buffer body) {
    JsonObject json = json(body);
    if (json != null && json.getValue("error") instanceof JsonObject error && error.getValue("code") instanceof Number code) {
      String details = error.getValue("error_data") instanceof JsonObject data ? data.getString("details") : null;
      String title = error.getString("message", error.getString("error_user_title", "Error " + code));
      return new ProviderException(code.intValue(), title, details, httpStatus);
    }
    return unreadable(httpStatus, excerpt(body));
  }

  private static ProviderException failure(Throwable failure) {
    if (failure instanceof ProviderException known) {
      return known;
    }
    if (failure instanceof TimeoutException) {
      return new ProviderException(ProviderException.TIMEOUT, "No answer in time", failure.getMessage(), 0);
    }
    return new ProviderException(ProviderException.TRANSPORT, "Connection failed", String.valueOf(failure.getMessage()), 0);
  }

  private static ProviderException unreadable(int httpStatus, String details) {
    return new ProviderException(ProviderException.UNREADABLE, "Unreadable answer (HTTP " + httpStatus + ")", details,
        httpStatus);
  }

  private static ProviderException tooLarge(long maxBytes, int httpStatus) {
    return new ProviderException(MEDIA_DOWNLOAD_ERROR, "Media download error",
        "the file is larger than " + maxBytes + " bytes", httpStatus);
  }

  private static ProviderException noToken() {
    return new ProviderException(190, "Invalid OAuth access token - Cannot parse access token",
        "the channel has no " + ChannelSecrets.ACCESS_TOKEN + " credential", 0);
  }

  private String base(Channel channel) {
    String override = channel.secrets().get(ChannelSecrets.API_BASE_URL);
    String base = override != null && !override.isBlank() ? override : config.graphUrl();
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }

  private static JsonObject json(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) { // not JSON, or JSON that is not an object
      return null;
    }
  }

  private static String excerpt(Buffer body) {
    if (body == null) {
      return "empty answer";
    }
    String text = body.toString();
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

  private static String required(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("a required field is missing");
    }
    return value;
  }

  /** {@code file_size} comes as a number or a string depending on the source. */
  private static long size(Object value) {
    if (value instanceof Number number) {
      return number.longValue();
    }
    return value == null ? -1 : Long.parseLong(value.toString());
  }
}
