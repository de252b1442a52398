using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace StreamingCore.Tests.Hardening;

/// <summary>Part of finding 12: a bad setting fails when the host starts, naming every invalid option, not at first use.</summary>
public class OptionsAtStartTests
{
    [Test]
    public void Invalid_options_fail_the_startup_validation_with_every_setting_named()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming(o =>
        {
            o.SubscriberCapacity = 0;
            o.MaxEventsPerResponse = 0;
            o.MaxWaitingSubscribers = -1;
            o.MaxRetainedBytes = 0;
            o.MaxRetainedResponsesPerConversation = 0;
            o.WaitingSubscriberTimeout = TimeSpan.Zero;
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.That(ex!.Message, Does.Contain("SubscriberCapacity").And.Contain("MaxEventsPerResponse").And.Contain("MaxWaitingSubscribers")
            .And.Contain("MaxRetainedBytes").And.Contain("MaxRetainedResponsesPerConversation").And.Contain("WaitingSubscriberTimeout"));
    }
}
