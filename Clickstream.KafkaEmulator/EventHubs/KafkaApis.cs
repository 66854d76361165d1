using System.Buffers.Binary;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>
/// What the listener must know about the APIs it reads instead of passing through: their keys, from
/// which version their header and body are flexible, and how to answer or patch them (Kafka's
/// protocol guide and its JSON message schemas).
/// </summary>
internal static class KafkaApis
{
    public const short Produce = 0;
    public const short Fetch = 1;
    public const short Metadata = 3;
    public const short FindCoordinator = 10;
    public const short SaslHandshake = 17;
    public const short ApiVersions = 18;
    public const short SaslAuthenticate = 36;

    /// <summary>
    /// The listener answers a refused Produce or Fetch itself, in the classic encoding; it advertises
    /// these as the highest versions so no client sends a flexible one it would have to refuse.
    /// </summary>
    public const short MaxProduceVersion = 8;

    public const short MaxFetchVersion = 11;

    public const short MaxSaslAuthenticateVersion = 1;

    public static bool IsFlexible(short api, short version) => api switch
    {
        Produce => version >= 9,
        Fetch => version >= 12,
        Metadata => version >= 9,
        FindCoordinator => version >= 3,
        ApiVersions => version >= 3,
        SaslAuthenticate => version >= 2,
        _ => false,
    };

    /// <summary>Where a request's body starts: after api key, version, correlation id, client id and (flexible) tags.</summary>
    public static int BodyOffset(ReadOnlySpan<byte> request, short api, short version)
    {
        var reader = new WireReader(request, 8);
        reader.SkipString(flexible: false); // client_id is a classic nullable string even in header v2
        reader.SkipTags(IsFlexible(api, version));
        return reader.Position;
    }

    /// <summary>
    /// The mock's ApiVersions answer with SaslHandshake/SaslAuthenticate added (the mock has no SASL) and
    /// Produce/Fetch capped (see <see cref="MaxProduceVersion"/>). <paramref name="response"/> starts at the correlation id.
    /// </summary>
    public static byte[] RewriteApiVersions(ReadOnlySpan<byte> response, short version)
    {
        var flexible = version >= 3;
        var reader = new WireReader(response, 4); // ApiVersions responses always use header v0
        var error = reader.Int16();
        if (error != 0)
        {
            return Frame(response);
        }

        var count = reader.ArrayLength(flexible);
        var apis = new List<(short Key, short Min, short Max)>(count + 2);
        for (var i = 0; i < count; i++)
        {
            var key = reader.Int16();
            var min = reader.Int16();
            var max = reader.Int16();
            reader.SkipTags(flexible);
            if (key is SaslHandshake or SaslAuthenticate)
            {
                continue;
            }

            max = key switch
            {
                Produce => Math.Min(max, MaxProduceVersion),
                Fetch => Math.Min(max, MaxFetchVersion),
                _ => max,
            };
            apis.Add((key, min, max));
        }

        apis.Add((SaslHandshake, 0, 1));
        apis.Add((SaslAuthenticate, 0, MaxSaslAuthenticateVersion));
        var writer = new WireWriter(BinaryPrimitives.ReadInt32BigEndian(response), flexibleHeader: false).Int16(0).ArrayLength(apis.Count, flexible);
        foreach (var (key, min, max) in apis)
        {
            writer.Int16(key).Int16(min).Int16(max).Tags(flexible);
        }

        return writer.Raw(response[reader.Position..]).ToFrame(); // throttle time and the top-level tags, as they were
    }

    /// <summary>Overwrites, in place, the port of every broker a Metadata response names (the host stays).</summary>
    public static void PatchMetadataPorts(Span<byte> response, short version, int port)
    {
        var flexible = IsFlexible(Metadata, version);
        var reader = new WireReader(response, 4);
        reader.SkipTags(flexible);
        if (version >= 3)
        {
            reader.Skip(4); // throttle_time_ms
        }

        var brokers = reader.ArrayLength(flexible);
        for (var i = 0; i < brokers; i++)
        {
            reader.Skip(4); // node_id
            reader.SkipString(flexible);
            BinaryPrimitives.WriteInt32BigEndian(response[reader.Position..], port);
            reader.Skip(4);
            if (version >= 1)
            {
                reader.SkipString(flexible); // rack
            }

            reader.SkipTags(flexible);
        }
    }

    /// <summary>Overwrites, in place, the coordinator's port in a FindCoordinator response.</summary>
    public static void PatchCoordinatorPorts(Span<byte> response, short version, int port)
    {
        var flexible = IsFlexible(FindCoordinator, version);
        var reader = new WireReader(response, 4);
        reader.SkipTags(flexible);
        if (version >= 1)
        {
            reader.Skip(4); // throttle_time_ms
        }

        if (version < 4)
        {
            reader.Skip(2); // error_code
            if (version >= 1)
            {
                reader.SkipString(flexible); // error_message
            }

            PatchNode(response, ref reader, flexible, port);
            return;
        }

        var coordinators = reader.ArrayLength(flexible);
        for (var i = 0; i < coordinators; i++)
        {
            reader.SkipString(flexible); // key
            PatchNode(response, ref reader, flexible, port);
            reader.Skip(2); // error_code
            reader.SkipString(flexible);
            reader.SkipTags(flexible);
        }
    }

    private static void PatchNode(Span<byte> response, ref WireReader reader, bool flexible, int port)
    {
        reader.Skip(4); // node_id
        reader.SkipString(flexible);
        if (BinaryPrimitives.ReadInt32BigEndian(response[reader.Position..]) > 0)
        {
            BinaryPrimitives.WriteInt32BigEndian(response[reader.Position..], port);
        }

        reader.Skip(4);
    }

    /// <summary>
    /// The answer to a Produce the rule may not make: every partition it names gets <paramref name="error"/>
    /// (Event Hubs answers a Listen-only key this way). Null when acks=0 asks for no answer.
    /// </summary>
    public static byte[]? RefuseProduce(ReadOnlySpan<byte> request, short version, short error)
    {
        var reader = new WireReader(request, BodyOffset(request, Produce, version));
        if (version >= 3)
        {
            reader.SkipString(flexible: false); // transactional_id
        }

        var acks = reader.Int16();
        reader.Skip(4); // timeout_ms
        if (acks == 0)
        {
            return null;
        }

        var writer = new WireWriter(BinaryPrimitives.ReadInt32BigEndian(request[4..]), flexibleHeader: false);
        var topics = reader.ArrayLength(flexible: false);
        writer.ArrayLength(topics, flexible: false);
        for (var t = 0; t < topics; t++)
        {
            writer.String(reader.String(flexible: false), flexible: false);
            var partitions = reader.ArrayLength(flexible: false);
            writer.ArrayLength(partitions, flexible: false);
            for (var p = 0; p < partitions; p++)
            {
                writer.Int32(reader.Int32()).Int16(error).Int64(-1);
                reader.SkipBytes(flexible: false); // records
                if (version >= 2)
                {
                    writer.Int64(-1); // log_append_time_ms
                }

                if (version >= 5)
                {
                    writer.Int64(-1); // log_start_offset
                }

                if (version >= 8)
                {
                    writer.ArrayLength(0, flexible: false).String(null, flexible: false); // record_errors, error_message
                }
            }
        }

        if (version >= 1)
        {
            writer.Int32(0); // throttle_time_ms
        }

        return writer.ToFrame();
    }

    /// <summary>The answer to a Fetch the rule may not make: every partition it names gets <paramref name="error"/>.</summary>
    public static byte[] RefuseFetch(ReadOnlySpan<byte> request, short version, short error)
    {
        var reader = new WireReader(request, BodyOffset(request, Fetch, version));
        reader.Skip(12); // replica_id, max_wait_ms, min_bytes
        if (version >= 3)
        {
            reader.Skip(4); // max_bytes
        }

        if (version >= 4)
        {
            reader.Skip(1); // isolation_level
        }

        if (version >= 7)
        {
            reader.Skip(8); // session_id, session_epoch
        }

        var writer = new WireWriter(BinaryPrimitives.ReadInt32BigEndian(request[4..]), flexibleHeader: false);
        if (version >= 1)
        {
            writer.Int32(0); // throttle_time_ms
        }

        if (version >= 7)
        {
            writer.Int16(0).Int32(0); // error_code, session_id
        }

        var topics = reader.ArrayLength(flexible: false);
        writer.ArrayLength(topics, flexible: false);
        for (var t = 0; t < topics; t++)
        {
            writer.String(reader.String(flexible: false), flexible: false);
            var partitions = reader.ArrayLength(flexible: false);
            writer.ArrayLength(partitions, flexible: false);
            for (var p = 0; p < partitions; p++)
            {
                writer.Int32(reader.Int32()).Int16(error).Int64(-1);
                reader.Skip((version >= 9 ? 4 : 0) + 8 + (version >= 5 ? 8 : 0) + 4); // leader epoch, offsets, max bytes
                if (version >= 4)
                {
                    writer.Int64(-1); // last_stable_offset
                }

                if (version >= 5)
                {
                    writer.Int64(-1); // log_start_offset
                }

                if (version >= 4)
                {
                    writer.ArrayLength(0, flexible: false); // aborted_transactions
                }

                if (version >= 11)
                {
                    writer.Int32(-1); // preferred_read_replica
                }

                writer.Int32(0); // records: none (librdkafka refuses a null record set)
            }
        }

        return writer.ToFrame();
    }

    private static byte[] Frame(ReadOnlySpan<byte> body)
    {
        var frame = new byte[body.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame.AsSpan(4));
        return frame;
    }
}
