// Reads one answer of the web sample the way a React useChat front end does, with the `ai` package's own code:
// DefaultChatTransport (useChat's default transport: its POST body, its resume GET and 204 handling, its SSE parsing
// and chunk validation against uiMessageChunkSchema) and readUIMessageStream (useChat's message assembly).
//
//   node read-ui-stream.mjs <baseUrl> send <chatId> <userText>    POST {baseUrl}/api/chat, trigger submit-message
//   node read-ui-stream.mjs <baseUrl> resume <chatId>             GET {baseUrl}/api/chat/{chatId}/stream
//
// stdout, one JSON object per line: {"event":"first"} once the first message snapshot arrived (the stream is open), then
// {"event":"done", status, messageId, text, textStates, chunks, errors}; status is "streamed" or "no-content" (204).
import { DefaultChatTransport, readUIMessageStream } from 'ai';

const [baseUrl, mode, chatId, userText] = process.argv.slice(2);
if (!baseUrl || !['send', 'resume'].includes(mode) || !chatId || (mode === 'send' && userText === undefined)) {
  console.error('usage: read-ui-stream.mjs <baseUrl> send <chatId> <userText> | <baseUrl> resume <chatId>');
  process.exit(2);
}

const print = (value) => process.stdout.write(JSON.stringify(value) + '\n');
const transport = new DefaultChatTransport({ api: new URL('/api/chat', baseUrl).toString() });
const abortSignal = new AbortController().signal;

const stream = mode === 'send'
  ? await transport.sendMessages({
      chatId,
      trigger: 'submit-message',
      messageId: undefined,
      messages: [{ id: 'user-1', role: 'user', parts: [{ type: 'text', text: userText }] }],
      abortSignal,
    })
  : await transport.reconnectToStream({ chatId });

if (stream === null) {
  print({ event: 'done', status: 'no-content' });
  process.exit(0);
}

// The chunk types in order, recorded on the way to the reader.
const chunks = [];
const recorded = stream.pipeThrough(new TransformStream({
  transform(chunk, controller) {
    chunks.push(chunk.type);
    controller.enqueue(chunk);
  },
}));

const errors = [];
let message;
for await (const snapshot of readUIMessageStream({ stream: recorded, onError: (error) => errors.push(String(error?.message ?? error)) })) {
  if (message === undefined) print({ event: 'first' });
  message = snapshot;
}

const text = (message?.parts ?? []).filter((part) => part.type === 'text').map((part) => part.text).join('');
const textStates = (message?.parts ?? []).filter((part) => part.type === 'text').map((part) => part.state);
print({ event: 'done', status: 'streamed', messageId: message?.id, text, textStates, chunks, errors });
