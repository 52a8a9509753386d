"""Internal notes and drafts: a delegation's (or the mediator's) working papers."""
