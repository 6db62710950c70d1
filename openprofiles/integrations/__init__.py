"""Integration flows: the FlowDefinition rules (``flow``), its Tasks (``tasks``), schedules
(``schedule``) and the source connectors (``s3``); the runner is ``runner``."""
