var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddShipper();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapShipperApi();

app.Run();

/// <summary>Visible to the tests.</summary>
public partial class Program;
