using System.Text;

namespace StreamingCore.Testing;

/// <summary>The delta texts of the stress harnesses (in memory and across Redis instances), each drawn from its own pieces.</summary>
internal static class StressText
{
    /// <summary>
    /// A delta's text: mostly one of <paramref name="pieces"/>, else a few random printable characters, and now and then
    /// several kilobytes (a tool result, a code block: several in one Redis batch make a large script call and message).
    /// </summary>
    public static string Piece(Random random, string[] pieces)
    {
        int roll = random.Next(100);
        if (roll < 2)
        {
            return new string((char)('a' + random.Next(26)), random.Next(2_000, 6_000));
        }

        if (roll < 60)
        {
            return pieces[random.Next(pieces.Length)];
        }

        var builder = new StringBuilder();
        for (int i = random.Next(1, 12); i > 0; i--)
        {
            builder.Append((char)random.Next(0x20, 0x7F));
        }

        return builder.ToString();
    }
}
