-- "my open conversations", the inbox's most used view. The assignee index alone serves it by walking the agent's
-- conversations newest first and skipping the closed ones: for an agent with thousands of resolved conversations
-- and few open ones, a page read thousands of rows (5,000 for one benchmark agent, 5.5 ms). This index holds the
-- open ones only, per assignee (unassigned too), in list order.
CREATE INDEX conversations_open_assignee_activity_idx
  ON conversations (organization_id, assignee_id, last_message_at DESC, id DESC) WHERE status = 'open';
