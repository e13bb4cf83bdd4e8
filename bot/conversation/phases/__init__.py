"""The conversation's handlers, one module per phase: `anywhere` (what a customer may say at any
point), `identity` (the right party), `verifying`, then after verification `ask` (the answer to
the awaited question), `promise`, `instalments` and `forms` (hardship, dispute, already paid,
refusal). bot/conversation/engine.py dispatches a turn to them."""
