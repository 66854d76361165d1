namespace Clickstream.Shipper.Delivery;

/// <summary>
/// What became of a line, as the sink reports it (Vector's event status): the line's finalizer moves the checkpoint
/// over every final outcome, in file order.
/// </summary>
public enum DeliveryOutcome
{
    /// <summary>The broker acknowledged it. Final.</summary>
    Delivered,

    /// <summary>A delivery failed in a way a retry can mend; the line is sent again. Not final.</summary>
    Errored,

    /// <summary>Refused for good (the message itself, or out of delivery attempts): written to the dead-letter file. Final.</summary>
    Rejected,

    /// <summary>Nothing to send (an empty line), counted and skipped. Final.</summary>
    Dropped,
}
