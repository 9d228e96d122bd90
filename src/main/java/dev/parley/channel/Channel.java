package dev.parley.channel;

import dev.parley.provider.ChannelSecrets;
import java.util.UUID;

/**
 * A connected provider account (a WhatsApp phone number, ...) of one organization.
 *
 * @param externalId the provider's id of the account (WhatsApp {@code phone_number_id}); webhooks route on it
 * @param secrets credentials; internal only, never part of an API response
 */
public record Channel(
    UUID id,
    UUID organizationId,
    String provider,
    String name,
    String externalId,
    boolean active,
    ChannelSecrets secrets) {}
