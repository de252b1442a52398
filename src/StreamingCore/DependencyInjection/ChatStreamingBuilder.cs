namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The <see cref="IChatStreamingBuilder"/> of one service collection.</summary>
internal sealed class ChatStreamingBuilder(IServiceCollection services) : IChatStreamingBuilder
{
    public IServiceCollection Services { get; } = services;
}
