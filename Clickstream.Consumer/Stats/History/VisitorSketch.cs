using System.Numerics;

namespace Clickstream.Consumer.Stats.History;

/// <summary>
/// A HyperLogLog of the visitors of one time bucket, mergeable with any other (register-wise maximum), so a
/// range's visitors are one estimate over its buckets, not a sum that counts a returning visitor per bucket.
/// 2^12 registers (±1.6 %): kept sparse (index → rank) while few registers are set, which is every minute
/// bucket and most hour buckets, and dense (4 KiB) beyond; thousands of buckets per site stay small.
/// </summary>
public sealed class VisitorSketch
{
    public const int Precision = 12;
    public const int Registers = 1 << Precision;
    private const int SparseLimit = 512;

    private Dictionary<ushort, byte>? _sparse = [];
    private byte[]? _dense;

    /// <summary>The relative standard error of an estimate from merged sketches.</summary>
    public static double StandardError => 1.04 / Math.Sqrt(Registers);

    public void Add(ulong hash)
    {
        var index = (ushort)(hash >> (64 - Precision));
        var rank = (byte)(BitOperations.LeadingZeroCount((hash << Precision) | (1UL << (Precision - 1))) + 1);
        if (_dense is not null)
        {
            if (rank > _dense[index])
            {
                _dense[index] = rank;
            }

            return;
        }

        if (!_sparse!.TryGetValue(index, out var current) || rank > current)
        {
            _sparse[index] = rank;
            if (_sparse.Count > SparseLimit)
            {
                _dense = new byte[Registers];
                MergeInto(_dense);
                _sparse = null;
            }
        }
    }

    /// <summary>Register-wise maximum into <paramref name="registers"/> (length <see cref="Registers"/>).</summary>
    public void MergeInto(byte[] registers)
    {
        if (_dense is not null)
        {
            for (var i = 0; i < Registers; i++)
            {
                if (_dense[i] > registers[i])
                {
                    registers[i] = _dense[i];
                }
            }

            return;
        }

        foreach (var (index, rank) in _sparse!)
        {
            if (rank > registers[index])
            {
                registers[index] = rank;
            }
        }
    }

    /// <summary>The cardinality estimate of merged registers (with the small-range correction).</summary>
    public static long Estimate(byte[] registers)
    {
        double m = registers.Length, sum = 0;
        var zeros = 0;
        foreach (var r in registers)
        {
            sum += 1.0 / (1UL << r);
            zeros += r == 0 ? 1 : 0;
        }

        var raw = 0.7213 / (1 + 1.079 / m) * m * m / sum;
        return (long)Math.Round(raw <= 2.5 * m && zeros > 0 ? m * Math.Log(m / zeros) : raw);
    }

    public void Save(BinaryWriter writer)
    {
        if (_dense is not null)
        {
            writer.Write(-1);
            writer.Write(_dense);
            return;
        }

        writer.Write(_sparse!.Count);
        foreach (var (index, rank) in _sparse)
        {
            writer.Write(index);
            writer.Write(rank);
        }
    }

    public static VisitorSketch Load(BinaryReader reader)
    {
        var sketch = new VisitorSketch();
        var n = reader.ReadInt32();
        if (n < 0)
        {
            sketch._sparse = null;
            sketch._dense = reader.ReadBytes(Registers);
            return sketch;
        }

        for (var i = 0; i < n; i++)
        {
            sketch._sparse![reader.ReadUInt16()] = reader.ReadByte();
        }

        return sketch;
    }
}
