package dev.parley.message;

import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.Filter;
import dev.parley.store.MessageStore.MessageRow;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowStream;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a filtered set of messages as CSV or JSON lines in constant memory: a PostgreSQL cursor fetches
 * {@value #FETCH} rows at a time, and reading pauses whenever the client's socket has a full write queue, so a
 * million rows never sit in the heap. A failure after the first byte resets the connection rather than ending
 * the body, so a client cannot mistake a cut-off export for a complete one.
 */
final class MessageExport {
  private static final Logger log = LoggerFactory.getLogger(MessageExport.class);
  private static final int FETCH = 500;
  private static final int FLUSH_BYTES = 64 * 1024;
  static final String[] CSV_COLUMNS = {"id", "sent_at", "conversation_id", "contact_id", "channel_id", "direction",
      "type", "status", "sender_type", "sender_id", "body", "provider_message_id", "error_code", "error_title"};
  private static final CSVFormat CSV = CSVFormat.RFC4180;

  private final Pool pool;

  MessageExport(Pool pool) {
    this.pool = pool;
  }

  void stream(RoutingContext ctx, Filter filter, boolean csv) {
    Map.Entry<String, Tuple> query = MessageStore.exportQuery(filter);
    pool.getConnection().onFailure(ctx::fail).onSuccess(connection -> connection.begin()
        .compose(tx -> connection.prepare(query.getKey()).map(statement -> {
          start(ctx, connection, tx, statement.createStream(FETCH, query.getValue()), csv);
          return null;
        }))
        .onFailure(failure -> {
          connection.close();
          ctx.fail(failure);
        }));
  }

  private void start(RoutingContext ctx, SqlConnection connection, Transaction tx, RowStream<Row> rows, boolean csv) {
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
        .putHeader("content-type", csv ? "text/csv; charset=utf-8" : "application/x-ndjson")
        .putHeader("content-disposition", "attachment; filename=\"messages." + (csv ? "csv" : "jsonl") + "\"");
    Buffer[] pending = {Buffer.buffer(FLUSH_BYTES + 4096)};
    if (csv) {
      pending[0].appendString(CSV.format((Object[]) CSV_COLUMNS)).appendString("\r\n");
    }
    Runnable release = () -> tx.rollback().onComplete(done -> connection.close());
    response.closeHandler(closed -> {
      if (!response.ended()) { // the client went away: stop reading
        rows.close();
        release.run();
      }
    });
    rows.exceptionHandler(failure -> {
      log.warn("message export failed after it started: {}", failure.toString());
      response.reset();
      release.run();
    });
    rows.endHandler(done -> {
      response.end(pending[0]);
      release.run();
    });
    rows.handler(row -> {
      MessageRow message = MessageStore.exported(row);
      String contactId = row.getUUID("contact_id").toString();
      if (csv) {
        pending[0].appendString(CSV.format(message.id(), message.sentAt(), message.conversationId(), contactId,
            message.channelId(), message.direction(), message.type(), message.status(), message.senderType(),
            message.senderId(), message.body(), message.providerMessageId(), message.errorCode(), message.errorTitle()))
            .appendString("\r\n");
      } else {
        pending[0].appendString(message.toJson(null).put("contact_id", contactId).encode()).appendString("\n");
      }
      if (pending[0].length() >= FLUSH_BYTES) {
        response.write(pending[0]);
        pending[0] = Buffer.buffer(FLUSH_BYTES + 4096);
        if (response.writeQueueFull()) {
          rows.pause();
          response.drainHandler(drained -> rows.resume());
        }
      }
    });
  }
}
