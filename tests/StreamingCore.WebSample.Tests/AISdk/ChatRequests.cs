using System.Net.Http.Json;
using StreamingCore.WebSample.Tests.Support;

namespace StreamingCore.WebSample.Tests.AISdk;

/// <summary>Requests as the <c>ai</c> package's <c>DefaultChatTransport</c> sends them.</summary>
internal static class ChatRequests
{
    /// <summary>The body of a new message: <c>{ id, messages, trigger: "submit-message" }</c>, plus <c>persona</c> when given.</summary>
    public static object Body(string chatId, string text, string? persona = null, string trigger = "submit-message") => new
    {
        id = chatId,
        messages = new[] { new { id = "u1", role = "user", parts = new[] { new { type = "text", text } } } },
        trigger,
        persona,
    };

    /// <summary>Posts a message to <c>/api/chat</c>; returns at the response headers, the body still streaming.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string chatId, string text, string? persona = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/chat") { Content = JsonContent.Create(Body(chatId, text, persona)) };
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestGuard.Token);
    }

    /// <summary>Calls the resume route; returns at the response headers.</summary>
    public static async Task<HttpResponseMessage> ResumeAsync(HttpClient http, string chatId)
        => await http.GetAsync($"api/chat/{Uri.EscapeDataString(chatId)}/stream", HttpCompletionOption.ResponseHeadersRead, TestGuard.Token);

    /// <summary>A reader of the response's body.</summary>
    public static async Task<UIMessageStreamReader> ReaderAsync(HttpResponseMessage response)
        => new(await response.Content.ReadAsStreamAsync(TestGuard.Token));
}
