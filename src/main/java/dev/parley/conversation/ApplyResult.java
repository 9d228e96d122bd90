package dev.parley.conversation;

/**
 * What applying a batch did.
 *
 * @param applied events that changed something
 * @param duplicates events already applied before (provider retries) that changed nothing
 * @param pending statuses kept until their message is known
 * @param skipped events that could not be attributed (logged) and were acknowledged
 */
public record ApplyResult(int applied, int duplicates, int pending, int skipped) {}
