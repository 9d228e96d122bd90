package dev.parley.http;

import io.vertx.ext.web.Router;

/** A group of {@code /api/v1} routes; mounted after authentication, so every handler has a principal. */
public interface Routes {
  void mount(Router api);
}
