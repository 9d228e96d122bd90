package dev.parley.media;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;

/** Small real-shaped files of each kind, made in memory: real images, and the containers' true signatures. */
final class Samples {
  private Samples() {}

  static byte[] jpeg() {
    return image("jpg");
  }

  static byte[] png() {
    return image("png");
  }

  static byte[] gif() {
    return image("gif");
  }

  /** {@code bytes} grown to {@code size} with zeros after the content (its signature stays what it was). */
  static byte[] padded(byte[] bytes, int size) {
    return Arrays.copyOf(bytes, size);
  }

  /** A lossy WebP (simple format: RIFF, WEBP, a VP8 chunk) of {@code size} bytes. */
  static byte[] staticWebp(int size) {
    byte[] header = concat(ascii("RIFF"), le32(size - 8), ascii("WEBP"), ascii("VP8 "), le32(size - 20));
    return Arrays.copyOf(header, size);
  }

  /** An animated WebP (extended format: a VP8X chunk with the animation flag, then ANIM) of {@code size} bytes. */
  static byte[] animatedWebp(int size) {
    byte[] vp8x = concat(ascii("VP8X"), le32(10), new byte[] {0x02, 0, 0, 0, 7, 0, 0, 7, 0, 0});
    byte[] anim = concat(ascii("ANIM"), le32(6), new byte[6]);
    byte[] header = concat(ascii("RIFF"), le32(size - 8), ascii("WEBP"), vp8x, anim);
    return Arrays.copyOf(header, size);
  }

  /** An MP4 (ISO base media) file's start: the ftyp box. */
  static byte[] mp4() {
    return padded(concat(be32(24), ascii("ftyp"), ascii("isom"), be32(512), ascii("isom"), ascii("mp41"),
        be32(8), ascii("free")), 2048);
  }

  /** An Ogg page carrying an Opus header: what a WhatsApp voice note starts with. */
  static byte[] oggOpus() {
    byte[] opusHead = concat(ascii("OpusHead"), new byte[] {1, 1, 0x38, 1, (byte) 0x80, (byte) 0xBB, 0, 0, 0, 0, 0});
    return padded(concat(ascii("OggS"), new byte[] {0, 2}, new byte[8], le32(0x1234), le32(0), le32(0),
        new byte[] {1, (byte) opusHead.length}, opusHead), 4096);
  }

  static byte[] pdf() {
    return ascii("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
  }

  /** A Word (OOXML) document: a zip whose first entry is [Content_Types].xml. */
  static byte[] docx() {
    var out = new ByteArrayOutputStream();
    try (var zip = new ZipOutputStream(out)) {
      for (String name : new String[] {"[Content_Types].xml", "_rels/.rels", "word/document.xml"}) {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(ascii("<?xml version=\"1.0\"?><x/>"));
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] html() {
    return ascii("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>");
  }

  static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] image(String format) {
    var image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 16; x++) {
      image.setRGB(x, x, 0xFF8800);
    }
    var out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, format, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] le32(int v) {
    return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
  }

  private static byte[] be32(int v) {
    return new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v};
  }
}
