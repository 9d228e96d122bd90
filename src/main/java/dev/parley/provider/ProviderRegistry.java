package dev.parley.provider;

import dev.parley.provider.whatsapp.WhatsAppProvider;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The providers Parley speaks, by name. The only place that lists them. */
public final class ProviderRegistry {
  private final Map<String, Provider> providers;

  public ProviderRegistry(List<Provider> providers) {
    this.providers = providers.stream().collect(Collectors.toUnmodifiableMap(Provider::name, Function.identity()));
  }

  public static ProviderRegistry standard() {
    return new ProviderRegistry(List.of(new WhatsAppProvider()));
  }

  public Optional<Provider> find(String name) {
    return Optional.ofNullable(providers.get(name));
  }

  /** @throws IllegalArgumentException for a name no provider has */
  public Provider get(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException("unknown provider " + name));
  }
}
