using System.Numerics;
using Clickstream.Consumer.Checkpoints;

namespace Clickstream.Consumer.Stats.History;

/// <summary>
/// A HyperLogLog of the visitors of one time bucket, mergeable with any other (register-wise maximum), so a
/// range's visitors are one estimate over its buckets, not a sum that counts a returning visitor per bucket.
/// 2^12 registers (±1.6 %), in every resolution, so any buckets merge. Sparse while few registers are set
/// (every minute bucket, most hour buckets): the set registers as a sorted array of <c>index &lt;&lt; 8 | rank</c>,
/// 4 bytes each in memory and about 2 in a checkpoint (index deltas as varints); dense (4 KiB) beyond
/// <see cref="SparseLimit"/> registers, where the dense form is no larger. Sparse and dense hold the same
/// registers, so the estimate does not depend on the form.
/// </summary>
public sealed class VisitorSketch
{
    public const int Precision = 12;
    public const int Registers = 1 << Precision;
    private const int SparseLimit = 768;
    private const int DenseMarker = -1;

    private uint[] _sparse = [];
    private int _count;
    private byte[]? _dense;

    /// <summary>The relative standard error of an estimate from merged sketches.</summary>
    public static double StandardError => 1.04 / Math.Sqrt(Registers);

    /// <summary>Registers set (sparse) or <see cref="Registers"/> (dense).</summary>
    public int Size => _dense is null ? _count : Registers;

    public void Add(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rank = (byte)(BitOperations.LeadingZeroCount((hash << Precision) | (1UL << (Precision - 1))) + 1);
        if (_dense is not null)
        {
            if (rank > _dense[index])
            {
                _dense[index] = rank;
            }

            return;
        }

        var at = Find(index);
        if (at >= 0)
        {
            if (rank > (byte)_sparse[at])
            {
                _sparse[at] = ((uint)index << 8) | rank;
            }

            return;
        }

        if (_count == SparseLimit)
        {
            ToDense();
            _dense![index] = Math.Max(_dense[index], rank);
            return;
        }

        at = ~at;
        if (_count == _sparse.Length)
        {
            Array.Resize(ref _sparse, Math.Min(SparseLimit, Math.Max(4, _count * 2)));
        }

        Array.Copy(_sparse, at, _sparse, at + 1, _count - at);
        _sparse[at] = ((uint)index << 8) | rank;
        _count++;
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

        for (var i = 0; i < _count; i++)
        {
            var (index, rank) = ((int)(_sparse[i] >> 8), (byte)_sparse[i]);
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

    /// <summary>This sketch's own estimate.</summary>
    public long Estimate()
    {
        var registers = new byte[Registers];
        MergeInto(registers);
        return Estimate(registers);
    }

    /// <summary>
    /// Sparse: the count of set registers, then per register the index's distance from the previous one (varint) and
    /// the rank, about 2 bytes a register; dense: -1 and the 4,096 registers. A dense sketch with at most half its
    /// registers set (an hour of ~1,000 visitors) is written in the sparse form, which is then the smaller.
    /// </summary>
    public void Save(BinaryWriter writer)
    {
        if (_dense is not null)
        {
            var set = Registers - _dense.AsSpan().Count((byte)0);
            if (set > Registers / 2)
            {
                writer.Write7BitEncodedInt(DenseMarker);
                writer.Write(_dense);
                return;
            }

            writer.Write7BitEncodedInt(set);
            var last = 0;
            for (var index = 0; index < Registers; index++)
            {
                if (_dense[index] != 0)
                {
                    writer.Write7BitEncodedInt(index - last);
                    writer.Write(_dense[index]);
                    last = index;
                }
            }

            return;
        }

        writer.Write7BitEncodedInt(_count);
        var previous = 0;
        for (var i = 0; i < _count; i++)
        {
            var index = (int)(_sparse[i] >> 8);
            writer.Write7BitEncodedInt(index - previous);
            writer.Write((byte)_sparse[i]);
            previous = index;
        }
    }

    public static VisitorSketch Load(BinaryReader reader)
    {
        if (reader is not CheckpointReader { Version: >= 3 })
        {
            return LoadVersion2(reader);
        }

        var sketch = new VisitorSketch();
        var n = reader.Read7BitEncodedInt();
        if (n == DenseMarker)
        {
            sketch._dense = reader.ReadBytes(Registers);
            return sketch;
        }

        if (n is < 0 or > Registers)
        {
            throw new InvalidDataException($"A sketch of {n} registers.");
        }

        var index = 0;
        for (var i = 0; i < n; i++)
        {
            index += reader.Read7BitEncodedInt();
            if (index >= Registers)
            {
                throw new InvalidDataException($"Register {index} of {Registers}.");
            }

            sketch.Add(index, reader.ReadByte()); // ascending: appended, dense past the sparse limit as when counting
        }

        return sketch;
    }

    /// <summary>The layout of format versions 1 and 2: int32 count (-1: dense), then (uint16 index, rank) pairs in any order.</summary>
    private static VisitorSketch LoadVersion2(BinaryReader reader)
    {
        var sketch = new VisitorSketch();
        var n = reader.ReadInt32();
        if (n < 0)
        {
            sketch._dense = reader.ReadBytes(Registers);
            return sketch;
        }

        var registers = new byte[Registers];
        for (var i = 0; i < n; i++)
        {
            var (index, rank) = (reader.ReadUInt16(), reader.ReadByte());
            registers[index] = Math.Max(registers[index], rank);
        }

        for (var i = 0; i < Registers; i++)
        {
            if (registers[i] != 0)
            {
                sketch.Add(i, registers[i]);
            }
        }

        return sketch;
    }

    private void Add(int index, byte rank)
    {
        // Registers in ascending order while loading: append (or turn dense past the limit).
        if (_dense is null && _count == SparseLimit)
        {
            ToDense();
        }

        if (_dense is not null)
        {
            _dense[index] = Math.Max(_dense[index], rank);
            return;
        }

        if (_count == _sparse.Length)
        {
            Array.Resize(ref _sparse, Math.Min(SparseLimit, Math.Max(4, _count * 2)));
        }

        _sparse[_count++] = ((uint)index << 8) | rank;
    }

    /// <summary>The sparse registers into a dense array (built apart first: <see cref="MergeInto"/> reads the dense one once it is set).</summary>
    private void ToDense()
    {
        var dense = new byte[Registers];
        MergeInto(dense);
        (_dense, _sparse, _count) = (dense, [], 0);
    }

    /// <summary>The position of <paramref name="index"/> in the sparse array, or its complement where it would go.</summary>
    private int Find(int index)
    {
        var (low, high) = (0, _count - 1);
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var at = (int)(_sparse[middle] >> 8);
            if (at == index)
            {
                return middle;
            }

            if (at < index)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
