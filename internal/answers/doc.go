// Package answers tells, without being a proxy, when the app has no answer in flight:
// the agent waits for that before it stops the app, so a stop cuts no answer. It reads
// the app port's connections from the kernel (Established) and judges each one from
// its last-send and last-receive times (Tracker):
//
//   - a connection whose client sent data after the app last did (or that got a request
//     and was never answered) awaits its answer;
//   - a connection the app sent data on at least twice within Window is streaming one
//     (an LLM's tokens come several a second);
//   - anything else idles: a kept-alive connection, or a Gradio tab's heartbeat stream,
//     which sends one event every 15 s for as long as the tab is open.
//
// Connections from loopback are the agent's own probes (and kubectl port-forward) and
// are not counted. What it cannot tell: a streamed answer that sends nothing for longer
// than Window (a model thinking before its first token, after its stream began) looks
// idle. docs/health-agent.md says so.
package answers
