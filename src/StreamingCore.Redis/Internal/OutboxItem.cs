namespace StreamingCore.Redis.Internal;

/// <summary>An event waiting to be written to Redis, with the response it belongs to.</summary>
internal readonly record struct OutboxItem(OwnedResponse Response, ChatStreamingEvent Event);
