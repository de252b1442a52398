namespace StreamingCore.Redis.Internal;

/// <summary>
/// The Lua scripts: each write is one script, so checking the lifecycle, taking sequences, appending and notifying happen
/// atomically. Every script takes a conversation's keys in this order: meta, stream, lease, responses (all share its hash
/// tag, as Redis Cluster requires); the channel is an argument (channels are not keys).
/// </summary>
/// <remarks>
/// Meta fields: <c>e</c> epoch, <c>s</c> last sequence written, <c>a</c> first sequence of the active response (0: none),
/// <c>o</c> the owner instance of the active response. The responses list holds the first sequence of each response still
/// kept, oldest first; the stream is trimmed to it. A stream entry's id is its sequence (<c>seq-0</c>).
/// </remarks>
internal static class RedisScripts
{
    // Ends an active response whose owner's lease lapsed: a Failed event after the last written one. Shared by Claim and Takeover.
    // Expects locals e (epoch), s (last sequence), a (active start); leaves s at the Failed event's sequence.
    private const string EndLapsed = """
        s = s + 1
        local v = 'X|' .. ARGV[LAPSED_TICKS] .. '|' .. a .. '|' .. ARGV[LAPSED_ERROR]
        redis.call('XADD', KEYS[2], s .. '-0', 'v', v)
        redis.call('HSET', KEYS[1], 's', s, 'a', 0, 'o', '')
        redis.call('PUBLISH', ARGV[LAPSED_CHANNEL], e .. '\n' .. s .. '\n' .. string.len(v) .. '\n' .. v)
        """;

    /// <summary>
    /// Claims the next response. ARGV: owner, new epoch (used when the conversation has none), lease ms, meta ttl ms, channel,
    /// now ticks, lapsed error, responses kept, and the epoch and last sequence this owner stamped in a response Redis did
    /// not take (so the new response is numbered after them: a position never names two events). Returns <c>{'ok', epoch, sequence}</c> or <c>{'busy', epoch, active start, owner}</c>.
    /// </summary>
    public static readonly string Claim = """
        local e = redis.call('HGET', KEYS[1], 'e')
        if not e then
          e = ARGV[2]
          redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
          redis.call('HSET', KEYS[1], 'e', e, 's', 0, 'a', 0, 'o', '')
        end
        local s = tonumber(redis.call('HGET', KEYS[1], 's'))
        local a = tonumber(redis.call('HGET', KEYS[1], 'a'))
        if a > 0 then
          if redis.call('EXISTS', KEYS[3]) == 1 then
            return {'busy', e, tostring(a), redis.call('HGET', KEYS[1], 'o')}
          end
        """ + "\n" + EndLapsed.Replace("LAPSED_TICKS", "6", StringComparison.Ordinal).Replace("LAPSED_ERROR", "7", StringComparison.Ordinal).Replace("LAPSED_CHANNEL", "5", StringComparison.Ordinal) + """

        end
        if ARGV[9] == e and tonumber(ARGV[10]) > s then
          s = tonumber(ARGV[10])
          redis.call('HSET', KEYS[1], 's', s)
        end
        redis.call('HSET', KEYS[1], 'a', s + 1, 'o', ARGV[1])
        redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('RPUSH', KEYS[4], s + 1)
        local kept = tonumber(ARGV[8])
        if redis.call('LLEN', KEYS[4]) > kept then
          redis.call('LTRIM', KEYS[4], -kept, -1)
          redis.call('XTRIM', KEYS[2], 'MINID', redis.call('LINDEX', KEYS[4], 0) .. '-0')
        end
        redis.call('PEXPIRE', KEYS[4], ARGV[4])
        return {'ok', e, tostring(s + 1)}
        """;

    /// <summary>
    /// Appends a batch of the owner's events. ARGV: owner, epoch, response start, lease ms, meta ttl ms, stream ttl ms, max
    /// stream length, channel, live message, ended (1 when the batch holds the terminal event), then sequence/value pairs.
    /// Returns the last sequence written, -1 when the conversation's keys are gone or have another epoch, -2 when the
    /// response is no longer this owner's active one.
    /// </summary>
    public static readonly string Append = """
        if redis.call('HGET', KEYS[1], 'e') ~= ARGV[2] then return -1 end
        if redis.call('HGET', KEYS[1], 'a') ~= ARGV[3] or redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return -2 end
        local s = tonumber(redis.call('HGET', KEYS[1], 's'))
        for i = 11, #ARGV, 2 do
          local q = tonumber(ARGV[i])
          if q > s then
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], ARGV[i] .. '-0', 'v', ARGV[i + 1])
            s = q
          end
        end
        redis.call('HSET', KEYS[1], 's', s)
        if ARGV[10] == '1' then
          redis.call('HSET', KEYS[1], 'a', 0, 'o', '')
          redis.call('DEL', KEYS[3])
        else
          redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('PEXPIRE', KEYS[2], ARGV[6])
        redis.call('PEXPIRE', KEYS[4], ARGV[5])
        redis.call('PUBLISH', ARGV[8], ARGV[9])
        return s
        """;

    /// <summary>
    /// Renews the owner's lease on a quiet response. ARGV: owner, epoch, response start, lease ms, stream ttl ms, meta ttl ms.
    /// Returns 1, or -1 / -2 as <see cref="Append"/>.
    /// </summary>
    public static readonly string Renew = """
        if redis.call('HGET', KEYS[1], 'e') ~= ARGV[2] then return -1 end
        if redis.call('HGET', KEYS[1], 'a') ~= ARGV[3] or redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return -2 end
        redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
        redis.call('PEXPIRE', KEYS[2], ARGV[5])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    /// <summary>
    /// Ends a response whose owner's lease lapsed, for every instance. ARGV: response start, channel, now ticks, lapsed error.
    /// Returns <c>{'gone'}</c> (no keys), <c>{'alive', epoch}</c> (the lease holds) or <c>{'ended', epoch}</c>.
    /// </summary>
    public static readonly string Takeover = """
        local e = redis.call('HGET', KEYS[1], 'e')
        if not e then return {'gone'} end
        local a = tonumber(redis.call('HGET', KEYS[1], 'a'))
        if a ~= tonumber(ARGV[1]) then return {'ended', e} end
        if redis.call('EXISTS', KEYS[3]) == 1 then return {'alive', e} end
        local s = tonumber(redis.call('HGET', KEYS[1], 's'))
        """ + "\n" + EndLapsed.Replace("LAPSED_TICKS", "3", StringComparison.Ordinal).Replace("LAPSED_ERROR", "4", StringComparison.Ordinal).Replace("LAPSED_CHANNEL", "2", StringComparison.Ordinal) + """

        return {'ended', e}
        """;
}
