package dev.parley.conversation;

import io.vertx.core.Future;
import java.util.List;

/** Reads committed inbound-log rows back as entries (parsed and routed again): how a projector catches up at start. */
public interface LogReader {

  /**
   * Up to {@code limit} entries written under {@code slot} after position {@code after}, in position order; empty at
   * the log's end.
   */
  Future<List<LogEntry>> after(int slot, long after, int limit);
}
