package dev.parley.simulator;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * Media as the Graph API serves it: upload ({@code POST /{version}/{phone_number_id}/media}, multipart with
 * {@code file}, {@code type}, {@code messaging_product}; 131053 for a type WhatsApp does not carry or a file over
 * its kind's limit), the lookup that answers a 5-minute URL ({@code GET /{version}/{media_id}}), the download from
 * that URL (the same bearer token required) and {@code DELETE /{version}/{media_id}}.
 */
final class MediaRoutes {
  private final Simulation simulation;

  MediaRoutes(Simulation simulation) {
    this.simulation = simulation;
  }

  /** A multipart upload, read as it streams (no body handler in front of this route). */
  void upload(RoutingContext ctx) {
    String phoneNumberId = ctx.pathParam("id");
    String token = Simulation.bearer(ctx.request());
    NumberState state = simulation.number(phoneNumberId);
    if (state == null || !state.number.accessToken().equals(token)) {
      Simulation.answer(ctx, state == null && simulation.anyNumberHasToken(token)
          ? GraphError.unknownObject("post", phoneNumberId)
          : GraphError.invalidToken());
      return;
    }
    SimulatorOptions options = simulation.options();
    long ceiling = maxOfAllKinds(options);
    HttpServerRequest request = ctx.request();
    var file = new Object() {
      Buffer bytes;
      String contentType;
      String filename;
      long size;
    };
    request.setExpectMultipart(true);
    request.uploadHandler(upload -> {
      if (!"file".equals(upload.name()) || file.bytes != null) {
        upload.handler(ignored -> { });
        return;
      }
      file.bytes = Buffer.buffer();
      file.contentType = upload.contentType();
      file.filename = upload.filename();
      upload.handler(chunk -> {
        file.size += chunk.length();
        if (file.size <= ceiling) { // past every limit only the size is still counted
          file.bytes.appendBuffer(chunk);
        }
      });
    });
    request.exceptionHandler(failure -> Simulation.answer(ctx, GraphError.of(131053, "The upload was interrupted")));
    request.endHandler(v -> {
      MultiMap form = request.formAttributes();
      if (file.bytes == null) {
        Simulation.answer(ctx, GraphError.of(131008, "The parameter file is required."));
      } else if (form.get("messaging_product") == null) {
        Simulation.answer(ctx, GraphError.of(131008, "The parameter messaging_product is required."));
      } else if (!"whatsapp".equals(form.get("messaging_product"))) {
        Simulation.answer(ctx, GraphError.of(100, "Param messaging_product must be 'whatsapp'"));
      } else {
        String type = form.get("type") != null ? form.get("type") : file.contentType;
        store(ctx, state, options, type, file.filename, file.bytes, file.size);
      }
    });
    request.resume();
  }

  private void store(RoutingContext ctx, NumberState state, SimulatorOptions options, String type, String filename,
      Buffer bytes, long size) {
    String kind = MediaStore.kind(type);
    if (kind == null) {
      Simulation.answer(ctx, GraphError.of(131053, "Param file must be a file with one of the following types: "
          + "audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg, text/plain, application/pdf, application/msword, "
          + "application/vnd.ms-excel, application/vnd.ms-powerpoint, (OOXML documents), image/jpeg, image/png, "
          + "image/webp, video/mp4, video/3gpp. Received file of type '" + type + "'."));
      return;
    }
    long limit = options.mediaMaxBytes(kind);
    if (size > limit) {
      Simulation.answer(ctx, GraphError.of(131053, "File of size " + size + " bytes is larger than the maximum of "
          + limit + " bytes for " + kind + " files"));
      return;
    }
    MediaStore.MediaFile stored = simulation.media.put(state.number.phoneNumberId(), type, filename, bytes);
    Simulation.answer(ctx, 200, new JsonObject().put("id", stored.id()));
  }

  /** {@code GET /{version}/{media_id}}: where to download the file for the next five minutes, and what it is. */
  void info(RoutingContext ctx) {
    MediaStore.MediaFile file = readable(ctx, "get");
    if (file == null) {
      return;
    }
    long expires = Instant.now().plus(simulation.options().mediaUrlTtl()).getEpochSecond();
    Simulation.answer(ctx, 200, new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("url", simulation.media.url(simulation.baseUrl(), file, expires))
        .put("mime_type", file.mimeType())
        .put("sha256", file.sha256Hex())
        .put("file_size", Integer.toString(file.bytes().length()))
        .put("id", file.id()));
  }

  void delete(RoutingContext ctx) {
    MediaStore.MediaFile file = readable(ctx, "delete");
    if (file != null) {
      simulation.media.delete(file.id());
      Simulation.answer(ctx, 200, new JsonObject().put("success", true));
    }
  }

  /** {@code GET <url>}: the bytes, only with the owner's bearer token and before the URL expires. */
  void download(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String id = request.getParam("mid");
    MediaStore.MediaFile file = id == null ? null : simulation.media.get(id);
    String token = Simulation.bearer(request);
    NumberState owner = file == null ? null : simulation.number(file.phoneNumberId());
    if (token == null || (owner != null && !owner.number.accessToken().equals(token))
        || (owner == null && !simulation.anyNumberHasToken(token))) {
      Simulation.answer(ctx, GraphError.invalidToken());
      return;
    }
    if (file == null || !simulation.media.validUrl(id, request.getParam("ext"), request.getParam("hash"),
        Instant.now().getEpochSecond())) {
      ctx.response().setStatusCode(404).putHeader("content-type", "text/plain").end("URL expired or not found");
      return;
    }
    ctx.response().setStatusCode(200)
        .putHeader("content-type", file.mimeType())
        .putHeader("content-length", Integer.toString(file.bytes().length()))
        .end(file.bytes());
  }

  /** The media the request's token may see, or null after answering the error Meta would. */
  private MediaStore.MediaFile readable(RoutingContext ctx, String method) {
    String id = ctx.pathParam("id");
    String token = Simulation.bearer(ctx.request());
    MediaStore.MediaFile file = simulation.media.get(id);
    NumberState owner = file == null ? null : simulation.number(file.phoneNumberId());
    if (owner != null && owner.number.accessToken().equals(token)) {
      return file;
    }
    Simulation.answer(ctx, simulation.anyNumberHasToken(token)
        ? GraphError.unknownObject(method, id)
        : GraphError.invalidToken());
    return null;
  }

  private static long maxOfAllKinds(SimulatorOptions options) {
    long max = 0;
    for (String kind : new String[] {"image", "video", "audio", "document", "sticker"}) {
      max = Math.max(max, options.mediaMaxBytes(kind));
    }
    return max;
  }
}
