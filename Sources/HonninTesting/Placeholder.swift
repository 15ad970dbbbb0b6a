public enum _PlaceholderHonninTesting {}
