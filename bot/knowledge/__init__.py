"""The content team's workbench: curated FAQ entries and intent examples in the database,
live retraining, knowledge gaps, operator-answer drafts and conversation figures.

    records     FaqEntry, HistoryRecord, IntentExample, Suggestion, TrainingRun
    rules       what makes an entry valid (pure)
    compose     shipped nlu_data + database edits → the TrainingData a model is built from
    curation    edits with validation and history, imports, examples, drafts
    sheets      CSV and XLSX import and export
    training    background training, the atomic swap, and following other workers' runs
    gaps        clustering unanswered questions
    analytics   figures per day and channel; charts draws them

Nothing is imported here, so `bot.ports` can use `records` without a cycle.
"""
