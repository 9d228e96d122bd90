package dev.parley.media;

import dev.parley.auth.Principal;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.store.StorableText;
import dev.parley.http.ErrorResponse;
import dev.parley.http.Routes;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /media}: an agent uploads a file (multipart field {@code file}, optional {@code type}) to send later;
 * it is streamed to disk, never held in memory, and refused with 413 before it is read when its
 * {@code Content-Length} is already over {@code media.max_bytes}. {@code GET /media/{id}}: a file of the caller's
 * organization, streamed with its type.
 */
public final class MediaRoutes implements Routes {
  private static final Logger log = LoggerFactory.getLogger(MediaRoutes.class);
  /** Room for the multipart framing and the {@code type} field around the file itself. */
  private static final long MULTIPART_OVERHEAD = 64 * 1024;
  /** How long a refused upload's connection stays open for the client to read the answer. */
  private static final Duration LINGER = Duration.ofSeconds(1);
  /** How long the body handler may still be decoding a multipart body after its last byte arrived. */
  private static final Duration DECODE_GRACE = Duration.ofSeconds(5);
  private static final String BODY_DECODED = "parley.media.body_decoded";

  private final Pool pool;
  private final MediaLibrary library;
  private final MediaStorage storage;
  private final Path uploadsDir;
  private final long maxBytes;

  public MediaRoutes(Pool pool, MediaLibrary library, MediaStorage storage, Path uploadsDir, long maxBytes) {
    this.pool = pool;
    this.library = library;
    this.storage = storage;
    this.uploadsDir = uploadsDir;
    this.maxBytes = maxBytes;
  }

  @Override
  public void mount(Router api) {
    // two routes: Vert.x Web lets no handler of a route run before its body handler
    api.post("/media").handler(this::refuseDeclaredTooLarge);
    api.post("/media")
        .handler(BodyHandler.create(uploadsDir.toString())
            .setBodyLimit(maxBytes + MULTIPART_OVERHEAD)
            .setMergeFormAttributes(false)
            .setDeleteUploadedFilesOnEnd(true))
        .handler(this::upload)
        .failureHandler(this::uploadFailure);
    api.get("/media/:id").handler(this::download);
  }

  private void refuseDeclaredTooLarge(RoutingContext ctx) {
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > maxBytes + MULTIPART_OVERHEAD) {
      HttpServerRequest request = ctx.request();
      tooLarge(ctx.response()).onComplete(sent -> {
        // a lingering close: what the client sends meanwhile is discarded (closing with unread bytes could reset
        // the connection before the client reads the answer), then the connection ends
        if (!request.isEnded()) {
          request.handler(ignored -> {});
          request.resume();
        }
        ctx.vertx().setTimer(LINGER.toMillis(), id -> request.connection().close());
      });
      return;
    }
    refuseIfNeverDecoded(ctx);
    ctx.next();
  }

  /**
   * A multipart body whose last part never reaches its closing boundary never completes Vert.x's body handler (the
   * part's upload never ends, eclipse-vertx/vert.x#3134), so the request would wait forever. Once the request has
   * ended the body handler has {@link #DECODE_GRACE} to finish; then the answer is 400 and the connection is closed,
   * which also ends the half-written upload.
   */
  private static void refuseIfNeverDecoded(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      return;
    }
    request.end().onSuccess(ended -> ctx.vertx().setTimer(DECODE_GRACE.toMillis(), id -> {
      if (ctx.get(BODY_DECODED) == null && !ctx.response().ended()) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        ErrorResponse.send(ctx.response(), 400, "invalid_request", "the multipart body ended inside a part")
            .onComplete(sent -> request.connection().close());
      }
    }));
  }

  private void upload(RoutingContext ctx) {
    ctx.put(BODY_DECODED, true);
    Principal caller = Api.principal(ctx);
    List<FileUpload> files = ctx.fileUploads().stream().filter(f -> f.name().equals("file")).toList();
    if (files.size() != 1 || ctx.fileUploads().size() != 1) {
      throw ApiException.invalid("a multipart/form-data body with one file in the field \"file\" is required");
    }
    String type = ctx.request().getFormAttribute("type");
    if (type != null && !MediaTypes.MESSAGE_TYPES.contains(type)) {
      throw ApiException.invalid("type must be one of image, video, audio, document, sticker");
    }
    FileUpload file = files.get(0);
    // a multipart body skips the edge's JSON check: its one text that is stored, the file name, is checked here
    String problem = file.fileName() == null ? null : StorableText.problem(file.fileName());
    if (problem != null) {
      throw new ApiException(400, "invalid_text", "the file name contains " + problem + ", which cannot be stored");
    }
    Api.answer(ctx, 201, library.add(caller.organizationId(), type, Path.of(file.uploadedFileName()),
        file.contentType(), file.fileName()).map(MediaFile::toJson));
  }

  /** The body outgrew the limit while it arrived: the same answer as a too-large {@code Content-Length}. */
  private void uploadFailure(RoutingContext ctx) {
    if (ctx.failure() == null && ctx.statusCode() == 413 && !ctx.response().ended()) {
      tooLarge(ctx.response());
    } else {
      ctx.next();
    }
  }

  private Future<Void> tooLarge(HttpServerResponse response) {
    response.putHeader(HttpHeaders.CONNECTION, "close");
    return ErrorResponse.send(response, 413, "media_too_large", "files are limited to " + maxBytes + " bytes");
  }

  private void download(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(404, "media_not_found", "no such media file");
    }
    library.find(pool, caller.organizationId(), id)
        .map(MediaFile::requireStored)
        .compose(file -> storage.open(file.storageKey()).map(stored -> {
          send(ctx, file, stored);
          return null;
        }))
        .onFailure(failure -> {
          if (failure instanceof MediaStorage.Missing) {
            log.warn("media file {} is recorded as stored but its bytes are missing", id);
            ctx.fail(new ApiException(404, "media_not_found", "the file's bytes are missing"));
          } else {
            ctx.fail(failure);
          }
        });
  }

  private static void send(RoutingContext ctx, MediaFile file, MediaStorage.Stored stored) {
    HttpServerResponse response = ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, file.mimeType())
        .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(stored.size()))
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader(HttpHeaders.CACHE_CONTROL, "private, max-age=3600")
        .putHeader(HttpHeaders.ETAG, "\"" + file.sha256() + "\"");
    String disposition = contentDisposition(file);
    if (disposition != null) {
      response.putHeader("Content-Disposition", disposition);
    }
    stored.stream().pipeTo(response).onComplete(done -> {
      stored.close().get();
      if (done.failed()) {
        log.debug("download of media file {} ended early: {}", file.id(), done.cause().toString());
      }
    });
  }

  /** Documents download as attachments under their name; other media show inline. */
  static String contentDisposition(MediaFile file) {
    if (!file.type().equals("document")) {
      return file.filename() == null ? "inline" : "inline; " + filenameParameters(file.filename());
    }
    return file.filename() == null ? "attachment" : "attachment; " + filenameParameters(file.filename());
  }

  /** RFC 6266: an ASCII fallback and the exact name in RFC 5987 encoding. */
  private static String filenameParameters(String name) {
    String ascii = name.replaceAll("[^\\x20-\\x7E]", "_").replace("\\", "_").replace("\"", "'");
    String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    return "filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
  }
}
