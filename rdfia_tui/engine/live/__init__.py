"""A run as its own process: it publishes its events to its folder, takes commands from there, and says it is alive
(live.json, in engine.runs.liveness: the listing reads it too).

- stream: events.jsonl, the typed events serialised one per line, and the reader that turns them back;
- commands: the command folder a client writes to and the run reads;
- publish: what a run does while it goes (write the stream, take commands, beat);
- follow: what a client does (replay the stream, then follow it live);
- launch: start a run as a child process in its own session.
"""
