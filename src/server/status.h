/*
 * status.h - the routes that tell about the service itself: health probes
 * (/health, /health/liveness, /health/readiness, /health/detailed), the
 * service status (/api/v1/status), Prometheus metrics (/metrics) and the
 * OpenAPI description (/openapi.json). Each is a bb_route_fn.
 */
#ifndef BB_STATUS_H
#define BB_STATUS_H

#include "server/request.h"

void bb_status_health(bb_req *r);
void bb_status_liveness(bb_req *r);
void bb_status_readiness(bb_req *r);
void bb_status_detailed(bb_req *r);
void bb_status_service(bb_req *r);
void bb_status_metrics(bb_req *r);
void bb_status_openapi(bb_req *r);

#endif
