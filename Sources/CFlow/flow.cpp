// OpenCV's DIS optical flow and remap for `stylize video` (see include/cflow.h).
// DIS: dense, fast on a CPU (a few ms per small frame), in Debian's
// libopencv-video; the MEDIUM preset with variational refinement is the
// quality OpenCV recommends for dense flow.
#include "cflow.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>
#include <cstring>
#include <exception>

namespace {
void copy_error(const std::exception &e, char *error, int error_size) {
    if (!error || error_size <= 0) return;
    std::strncpy(error, e.what(), error_size - 1);
    error[error_size - 1] = 0;
}

void store(const cv::Mat &flow, float *out) {
    cv::Mat dst(flow.rows, flow.cols, CV_32FC2, out);
    flow.copyTo(dst);
}
}  // namespace

extern "C" int cflow_pair(const uint8_t *a, const uint8_t *b, int width, int height,
                          float *forward, float *backward, char *error, int error_size) {
    try {
        cv::Mat A(height, width, CV_8UC1, const_cast<uint8_t *>(a));
        cv::Mat B(height, width, CV_8UC1, const_cast<uint8_t *>(b));
        cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
        cv::Mat flow;
        if (forward) { dis->calc(A, B, flow); store(flow, forward); }
        if (backward) { flow.release(); dis->calc(B, A, flow); store(flow, backward); }
        return 0;
    } catch (const std::exception &e) {
        copy_error(e, error, error_size);
        return -1;
    }
}

extern "C" int cflow_warp(const float *in, int channels, int width, int height,
                          const float *flow, float *out) {
    try {
        cv::Mat f(height, width, CV_32FC2, const_cast<float *>(flow));
        cv::Mat map(height, width, CV_32FC2);
        for (int y = 0; y < height; y++) {
            const cv::Vec2f *fr = f.ptr<cv::Vec2f>(y);
            cv::Vec2f *mr = map.ptr<cv::Vec2f>(y);
            for (int x = 0; x < width; x++) mr[x] = cv::Vec2f(x + fr[x][0], y + fr[x][1]);
        }
        size_t plane = (size_t)width * height;
        for (int c = 0; c < channels; c++) {
            cv::Mat src(height, width, CV_32FC1, const_cast<float *>(in + c * plane));
            cv::Mat dst(height, width, CV_32FC1, out + c * plane);
            cv::remap(src, dst, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        }
        return 0;
    } catch (const std::exception &) {
        return -1;
    }
}
