using System.Globalization;
using System.Text;

namespace Clickstream.Contracts;

/// <summary>Reads <see cref="AccessLogEntry.TimeFormat"/>, the <c>time</c> field both servers write.</summary>
public static class AccessLogTime
{
    /// <summary>
    /// ISO 8601 with offset, with or without fractional seconds (<c>2026-11-27T15:56:36.123+00:00</c>):
    /// the fixed layout the pixel and nginx write is read digit by digit; anything else goes to the general parser.
    /// </summary>
    public static DateTimeOffset? Parse(ReadOnlySpan<byte> s)
    {
        if (s.Length >= 25 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':'
            && Digits(s, 0, 4, out var year) && Digits(s, 5, 2, out var month) && Digits(s, 8, 2, out var day)
            && Digits(s, 11, 2, out var hour) && Digits(s, 14, 2, out var minute) && Digits(s, 17, 2, out var second))
        {
            var i = 19;
            long fractionTicks = 0;
            if (s[i] == '.')
            {
                var scale = TimeSpan.TicksPerSecond;
                for (i++; i < s.Length && s[i] >= '0' && s[i] <= '9'; i++)
                {
                    scale /= 10;
                    fractionTicks += (s[i] - '0') * scale;
                }
            }

            if (s.Length == i + 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':'
                && Digits(s, i + 1, 2, out var offsetHours) && Digits(s, i + 4, 2, out var offsetMinutes)
                && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) && hour < 24 && minute < 60 && second < 60
                && offsetMinutes < 60 && (offsetHours * 60) + offsetMinutes <= 14 * 60)
            {
                var offset = new TimeSpan(offsetHours, offsetMinutes, 0);
                return new DateTimeOffset(year, month, day, hour, minute, second, s[i] == '-' ? -offset : offset).AddTicks(fractionTicks);
            }
        }

        return DateTimeOffset.TryParse(Encoding.UTF8.GetString(s), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (s[i] < '0' || s[i] > '9')
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }
}
