package dev.parley.provider;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Meta's {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>} (WhatsApp, Messenger,
 * Instagram), also used by Parley's own API channel. Comparison is constant-time on the decoded bytes.
 */
public final class HubSignature {
  public static final String HEADER = "X-Hub-Signature-256";
  private static final String PREFIX = "sha256=";
  private static final HexFormat HEX = HexFormat.of();

  private HubSignature() {}

  /** The header value a sender would put on {@code body}. */
  public static String sign(byte[] body, String secret) {
    return PREFIX + HEX.formatHex(hmac(body, secret));
  }

  /** True only when {@code header} is {@code sha256=} followed by the body's HMAC under {@code secret}. */
  public static boolean matches(String header, byte[] body, String secret) {
    if (header == null || secret == null || secret.isEmpty() || !header.startsWith(PREFIX)
        || header.length() != PREFIX.length() + 64) {
      return false;
    }
    byte[] claimed;
    try {
      claimed = HEX.parseHex(header, PREFIX.length(), header.length());
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(hmac(body, secret), claimed);
  }

  /**
   * One {@code Mac} per thread, keyed with the last secret it used: looking the algorithm up and deriving the key's
   * pads cost more than hashing a small webhook, and webhooks of one channel come in runs.
   */
  private static final ThreadLocal<KeyedMac> MACS = new ThreadLocal<>();

  private record KeyedMac(String secret, Mac mac) {}

  private static byte[] hmac(byte[] body, String secret) {
    KeyedMac keyed = MACS.get();
    if (keyed == null || !keyed.secret().equals(secret)) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        keyed = new KeyedMac(secret, mac);
        MACS.set(keyed);
      } catch (NoSuchAlgorithmException | InvalidKeyException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    }
    return keyed.mac().doFinal(body); // doFinal also resets the Mac for the next body
  }
}
