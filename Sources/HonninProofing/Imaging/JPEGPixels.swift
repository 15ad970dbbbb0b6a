/// The 8×8 inverse DCT (T.81 §A.3.3):
///
///     f(x,y) = ¼ Σu Σv C(u) C(v) F(v,u) cos((2x+1)uπ/16) cos((2y+1)vπ/16),  C(0) = 1/√2, C(k) = 1 otherwise,
///
/// computed separably in single precision (columns, then rows) with the even/odd split of the 1-D sums, then level
/// shifted by +128 and clamped (§A.3.1). Exact up to float rounding, so within ±1 of common integer IDCTs.
enum JPEGIDCT {
    /// cos(kπ/16) for k = 1...7; cos(4π/16) = 1/√2 doubles as C(0).
    static let c1: Float = 0.980_785_28
    static let c2: Float = 0.923_879_53
    static let c3: Float = 0.831_469_61
    static let c4: Float = 0.707_106_78
    static let c5: Float = 0.555_570_23
    static let c6: Float = 0.382_683_43
    static let c7: Float = 0.195_090_32

    /// One 1-D IDCT without its ½ factor: out[n·os] = C(0)F0 + Σk≥1 F(k) cos((2n+1)kπ/16). The even part uses F0,
    /// F2, F4, F6 and the odd part F1, F3, F5, F7; out(n) = E(n)+O(n) and out(7−n) = E(n)−O(n).
    @inline(__always)
    static func oneDimensional(
        _ input: UnsafeMutablePointer<Float>, _ inStride: Int, _ output: UnsafeMutablePointer<Float>, _ outStride: Int
    ) {
        let f0 = input[0]
        let f1 = input[inStride]
        let f2 = input[2 * inStride]
        let f3 = input[3 * inStride]
        let f4 = input[4 * inStride]
        let f5 = input[5 * inStride]
        let f6 = input[6 * inStride]
        let f7 = input[7 * inStride]
        let s = f0 * c4
        let a4 = f4 * c4
        let e0 = s + c2 * f2 + a4 + c6 * f6
        let e1 = s + c6 * f2 - a4 - c2 * f6
        let e2 = s - c6 * f2 - a4 + c2 * f6
        let e3 = s - c2 * f2 + a4 - c6 * f6
        let o0 = c1 * f1 + c3 * f3 + c5 * f5 + c7 * f7
        let o1 = c3 * f1 - c7 * f3 - c1 * f5 - c5 * f7
        let o2 = c5 * f1 - c1 * f3 + c7 * f5 + c3 * f7
        let o3 = c7 * f1 - c5 * f3 + c3 * f5 - c1 * f7
        output[0] = e0 + o0
        output[7 * outStride] = e0 - o0
        output[outStride] = e1 + o1
        output[6 * outStride] = e1 - o1
        output[2 * outStride] = e2 + o2
        output[5 * outStride] = e2 - o2
        output[3 * outStride] = e3 + o3
        output[4 * outStride] = e3 - o3
    }

    @inline(__always)
    static func sample(_ value: Float) -> UInt8 {
        // ¼ for the two missing ½ factors, +128 level shift, round half up, clamp. |value| is bounded by the
        // dequantised coefficients (≤ 2³¹ · 64), far inside Float and Int range.
        let shifted = value * 0.25 + 128.5
        if shifted <= 0 { return 0 }
        if shifted >= 255 { return 255 }
        return UInt8(truncatingIfNeeded: Int(shifted))
    }

    /// Dequantises and transforms every block of `component` that holds real samples into `plane`.
    static func transformComponent(
        _ coefficients: UnsafeBufferPointer<Int16>, component c: JPEGDecoder.Component, quant: [Int],
        into plane: UnsafeMutableBufferPointer<UInt8>, planeOffset: Int, stride: Int
    ) {
        let work = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        defer { work.deallocate() }
        work.initialize(repeating: 0, count: 128)
        let columns = work + 64
        let q = quant.map(Float.init)
        q.withUnsafeBufferPointer { q in
            var by = 0
            while by < c.blocksY {
                var bx = 0
                while bx < c.blocksX {
                    let base = c.offset + (by * c.paddedBlocksX + bx) * 64
                    let out = planeOffset + by * 8 * stride + bx * 8
                    // 1. Dequantise (§A.3.4) and note whether any AC coefficient is non-zero.
                    var anyAC = false
                    var i = 0
                    while i < 64 {
                        let v = Float(coefficients[base + i]) * q[i]
                        work[i] = v
                        if i > 0 && v != 0 { anyAC = true }
                        i += 1
                    }
                    if !anyAC {
                        // 2a. A flat block: every sample is F(0,0)/8 + 128.
                        let value = sample(work[0] * 0.5)
                        var y = 0
                        while y < 8 {
                            var x = 0
                            while x < 8 {
                                plane[out + y * stride + x] = value
                                x += 1
                            }
                            y += 1
                        }
                    } else {
                        // 2b. Columns (skipping the sums of a column whose AC terms are zero), then rows.
                        var u = 0
                        while u < 8 {
                            let col = work + u
                            if col[8] == 0 && col[16] == 0 && col[24] == 0 && col[32] == 0 && col[40] == 0
                                && col[48] == 0 && col[56] == 0
                            {
                                let d = col[0] * c4
                                var y = 0
                                while y < 8 {
                                    columns[y * 8 + u] = d
                                    y += 1
                                }
                            } else {
                                oneDimensional(col, 8, columns + u, 8)
                            }
                            u += 1
                        }
                        var y = 0
                        while y < 8 {
                            let row = columns + y * 8
                            oneDimensional(row, 1, row, 1)
                            let o = out + y * stride
                            var x = 0
                            while x < 8 {
                                plane[o + x] = sample(row[x])
                                x += 1
                            }
                            y += 1
                        }
                    }
                    bx += 1
                }
                by += 1
            }
        }
    }
}

/// Upsampling and colour conversion of decoded component planes into interleaved pixels.
enum JPEGColor {
    /// JFIF 1.02 YCbCr → RGB, in 16.16 fixed point:
    /// R = Y + 1.402 Cr', G = Y − 0.344136 Cb' − 0.714136 Cr', B = Y + 1.772 Cb' (Cb' = Cb − 128, Cr' = Cr − 128).
    static let crToR = 91_881
    static let cbToG = 22_554
    static let crToG = 46_802
    static let cbToB = 116_130

    @inline(__always)
    static func clamp(_ v: Int) -> UInt8 { v < 0 ? 0 : v > 255 ? 255 : UInt8(truncatingIfNeeded: v) }

    /// One full-width row `y` of component `c`, upsampled into `out` (§A.1.1 sampling; the filter is ours):
    /// 1. vertically: for a 2:1 ratio, 3 × the nearer source row + 1 × the farther one (edge rows repeat);
    ///    otherwise the source row ×4;
    /// 2. horizontally: for 2:1, 3 × the nearer column + 1 × the farther one, /16 with rounding; for 1:1, /4;
    ///    otherwise the nearest column, /4.
    static func upsampleRow(
        _ planes: UnsafeBufferPointer<UInt8>, planeOffset: Int, stride: Int, component c: JPEGDecoder.Component,
        hRatio: Int, vRatio: Int, y: Int, width: Int, vertical: UnsafeMutablePointer<Int>,
        out: UnsafeMutablePointer<UInt8>
    ) {
        let cw = c.width
        if vRatio == 2 {
            let near = y / 2
            let far = y & 1 == 0 ? max(near - 1, 0) : min(near + 1, c.height - 1)
            let nearRow = planeOffset + near * stride
            let farRow = planeOffset + far * stride
            var i = 0
            while i < cw {
                vertical[i] = 3 * Int(planes[nearRow + i]) + Int(planes[farRow + i])
                i += 1
            }
        } else {
            let row = planeOffset + min(y / vRatio, c.height - 1) * stride
            var i = 0
            while i < cw {
                vertical[i] = 4 * Int(planes[row + i])
                i += 1
            }
        }
        if hRatio == 1 {
            var x = 0
            while x < width {
                out[x] = UInt8(truncatingIfNeeded: (vertical[x] + 2) >> 2)
                x += 1
            }
        } else if hRatio == 2 {
            var i = 0
            while i < cw {
                let center = 3 * vertical[i]
                let left = vertical[max(i - 1, 0)]
                let right = vertical[min(i + 1, cw - 1)]
                let x = 2 * i
                if x < width { out[x] = UInt8(truncatingIfNeeded: (center + left + 8) >> 4) }
                if x + 1 < width { out[x + 1] = UInt8(truncatingIfNeeded: (center + right + 7) >> 4) }
                i += 1
            }
        } else {
            var x = 0
            while x < width {
                out[x] = UInt8(truncatingIfNeeded: (vertical[min(x / hRatio, cw - 1)] + 2) >> 2)
                x += 1
            }
        }
    }

    static func render(
        frame: JPEGDecoder.Frame, planes: [UInt8], planeOffsets: [Int], strides: [Int], transformYCbCr: Bool
    ) -> [UInt8] {
        let width = frame.width
        let height = frame.height
        let count = frame.components.count
        let channels = count == 1 ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let rows = UnsafeMutablePointer<UInt8>.allocate(capacity: width * count)
        defer { rows.deallocate() }
        rows.initialize(repeating: 0, count: width * count)
        let vertical = UnsafeMutablePointer<Int>.allocate(capacity: width)
        defer { vertical.deallocate() }
        vertical.initialize(repeating: 0, count: width)

        planes.withUnsafeBufferPointer { planes in
            pixels.withUnsafeMutableBufferPointer { pixels in
                var y = 0
                while y < height {
                    for (i, c) in frame.components.enumerated() {
                        upsampleRow(
                            planes, planeOffset: planeOffsets[i], stride: strides[i], component: c,
                            hRatio: frame.hMax / c.h, vRatio: frame.vMax / c.v, y: y, width: width,
                            vertical: vertical, out: rows + i * width)
                    }
                    let o = y * width * channels
                    var x = 0
                    if channels == 1 {
                        while x < width {
                            pixels[o + x] = rows[x]
                            x += 1
                        }
                    } else if transformYCbCr {
                        let cb = rows + width
                        let cr = rows + 2 * width
                        while x < width {
                            let l = Int(rows[x])
                            let b = Int(cb[x]) - 128
                            let r = Int(cr[x]) - 128
                            pixels[o + 3 * x] = clamp(l + ((crToR * r + 32768) >> 16))
                            pixels[o + 3 * x + 1] = clamp(l + ((-cbToG * b - crToG * r + 32768) >> 16))
                            pixels[o + 3 * x + 2] = clamp(l + ((cbToB * b + 32768) >> 16))
                            x += 1
                        }
                    } else {
                        while x < width {
                            pixels[o + 3 * x] = rows[x]
                            pixels[o + 3 * x + 1] = rows[width + x]
                            pixels[o + 3 * x + 2] = rows[2 * width + x]
                            x += 1
                        }
                    }
                    y += 1
                }
            }
        }
        return pixels
    }
}
