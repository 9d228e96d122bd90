package dev.parley.http;

import dev.parley.http.RestFuzzTest.Case;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Malformed and hostile {@code multipart/form-data} bodies for a file upload operation, written byte by byte. */
final class MultipartCases {
  private static final String BOUNDARY = "----parley-fuzz-boundary";

  private MultipartCases() {}

  static List<Case> of(String target, Map<String, String> auth) {
    byte[] png = Tenant.png();
    Map<String, String> typed = with(auth, "multipart/form-data; boundary=" + BOUNDARY);
    Buffer closed = part("file", "a.png", "image/png", png, true);
    Buffer open = part("file", "a.png", "image/png", png, false);
    Buffer surrogateName = Buffer.buffer(head("file", null, null)).appendString("filename=\"")
        .appendBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})
        .appendString("\"\r\nContent-Type: image/png\r\n\r\n").appendBytes(png)
        .appendString("\r\n--" + BOUNDARY + "--\r\n");
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("multipart: garbage with a boundary", target, typed, Buffer.buffer("garbage")));
    cases.add(new Case("multipart: no boundary", target, with(auth, "multipart/form-data"), closed));
    cases.add(new Case("multipart: truncated", target, typed, open.slice(0, 60)));
    cases.add(new Case("multipart: no closing boundary", target, typed, open));
    cases.add(new Case("multipart: no file part", target, typed, field("type", "image", true)));
    cases.add(new Case("multipart: empty body", target, typed, Buffer.buffer()));
    cases.add(new Case("multipart: NUL in file name", target, typed, part("file", "a\u0000.png", "image/png", png, true)));
    cases.add(new Case("multipart: lone surrogate in file name", target, typed, surrogateName));
    cases.add(new Case("multipart: long file name", target, typed,
        part("file", "n".repeat(20_000) + ".png", "image/png", png, true)));
    cases.add(new Case("multipart: traversal file name", target, typed,
        part("file", "../../etc/passwd", "image/png", png, true)));
    cases.add(new Case("multipart: script file name", target, typed,
        part("file", "<script>alert(1)</script>.png", "image/png", png, true)));
    cases.add(new Case("multipart: empty file", target, typed, part("file", "a.png", "image/png", new byte[0], true)));
    cases.add(new Case("multipart: bad type field", target, typed,
        field("type", "' OR 1=1 --", false).appendBuffer(closed)));
    cases.add(new Case("multipart: NUL type field", target, typed, field("type", "im\u0000age", false).appendBuffer(closed)));
    cases.add(new Case("multipart: bad part content type", target, typed, part("file", "a.png", "\u0000/;;;", png, true)));
    cases.add(new Case("multipart: two files", target, typed,
        open.copy().appendString("\r\n").appendBuffer(part("file", "b.png", "image/png", png, true))));
    cases.add(new Case("multipart: JSON body", target, typed, Buffer.buffer("{\"file\":\"x\"}")));
    return cases;
  }

  /** A well-formed multipart body whose one part header is longer than a form decoder keeps: for any operation. */
  static Case longPartHeader(String target, Map<String, String> auth) {
    return new Case("multipart with a long part header", target,
        with(auth, "multipart/form-data; boundary=" + BOUNDARY), field("f".repeat(20_000), "x", true));
  }

  private static Map<String, String> with(Map<String, String> auth, String contentType) {
    Map<String, String> headers = new LinkedHashMap<>(auth);
    headers.put("Content-Type", contentType);
    return headers;
  }

  private static String head(String name, String filename, String type) {
    return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; "
        + (filename == null ? "" : "filename=\"" + filename + "\"\r\nContent-Type: " + type + "\r\n\r\n");
  }

  private static Buffer part(String name, String filename, String type, byte[] bytes, boolean close) {
    Buffer buffer = Buffer.buffer(head(name, filename, type).getBytes(StandardCharsets.UTF_8)).appendBytes(bytes);
    return close ? buffer.appendString("\r\n--" + BOUNDARY + "--\r\n") : buffer;
  }

  private static Buffer field(String name, String value, boolean close) {
    Buffer buffer = Buffer.buffer("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
    return close ? buffer.appendString("--" + BOUNDARY + "--\r\n") : buffer;
  }
}
