"""Every binding id of every screen, dialog and widget, known at start-up.

The user's ``[keymap]`` is checked against this list before any screen is
loaded (loading them all would slow the start), so a typo in any entry, for
any screen, is reported at once. ``tests/tui/test_app_shell.py`` collects the
ids the bindings really declare and holds this list equal to them: a new
binding is added here in the same change.
"""

ALL_BINDING_IDS = frozenset({
    "app.back", "app.command_palette", "app.help", "app.jump", "app.mode_knowledge", "app.mode_metrics",
    "app.mode_queue", "app.mode_wallboard", "app.quit",
    "bulk.cancel", "bulk.confirm_no", "bulk.confirm_yes",
    "compose.editor", "compose.toggle",
    "help.close",
    "jump.cancel",
    "kb.article_bottom", "kb.article_down", "kb.article_top", "kb.article_up", "kb.back", "kb.drafts", "kb.edit",
    "kb.helpful", "kb.not_helpful", "kb.open", "kb.open_link", "kb.publish", "kb.refresh", "kb.results_down",
    "kb.results_first", "kb.results_last", "kb.results_up", "kb.search", "kb.to_results",
    "metrics.breakdown", "metrics.earlier", "metrics.later", "metrics.length", "metrics.refresh", "metrics.today",
    "modal.cancel", "modal.submit",
    "ops.approve", "ops.checklist", "ops.link_bulletin", "ops.link_known_error", "ops.modal_cancel",
    "ops.modal_save", "ops.new_problem", "ops.problems", "ops.reject", "ops.routing", "ops.ticket_link_bulletin",
    "problems.back", "problems.candidates", "problems.cursor_down", "problems.cursor_up", "problems.edit",
    "problems.filter", "problems.incidents", "problems.new", "problems.reload", "problems.resolve",
    "problems.status",
    "queue.assign", "queue.clear", "queue.cursor_down", "queue.cursor_first", "queue.cursor_last",
    "queue.cursor_up", "queue.filter", "queue.half_page_down", "queue.half_page_up", "queue.mark",
    "queue.next_view", "queue.open", "queue.page_down", "queue.page_up", "queue.previous_view", "queue.refresh",
    "queue.sort", "queue.status", "queue.take",
    "ticket.assign", "ticket.back", "ticket.bottom", "ticket.canned", "ticket.editor", "ticket.escalate",
    "ticket.kb_draft", "ticket.kb_insert", "ticket.kb_link", "ticket.kb_suggestions", "ticket.note",
    "ticket.priority", "ticket.reload", "ticket.reopen", "ticket.reply", "ticket.resolve", "ticket.scroll_down",
    "ticket.scroll_up", "ticket.status", "ticket.survey", "ticket.take", "ticket.top",
    "wallboard.refresh",
})
