"""The bulk engine: a bounded pool of workers, batching, pacing and the lifecycle every stream shares."""
