package dev.parley.provider;

/**
 * Whether a provider only lets a business answer freely for a while after the customer's last message
 * (WhatsApp, Messenger, Instagram: 24 h; Telegram, e-mail: no window). The window's length is configured
 * ({@code conversation.service_window}) so that tests and demos can shorten it.
 */
public enum ServiceWindow {
  /** Free-form replies only within the window after the customer's last message; templates outside it. */
  CUSTOMER_SERVICE,
  /** The business may write at any time. */
  NONE
}
