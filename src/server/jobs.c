/* jobs.c - background jobs with owners, deadlines and bounded retention
 * (see jobs.h). */
#include "server/jobs.h"

#include "base/hex.h"

#include "base/clock.h"
#include "base/crypto.h"

#include <cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define OWNER_MAX 256
/* Retry-After when the jobs in the way have no deadline to go by. */
#define RETRY_UNKNOWN 30

typedef enum { CANCEL_NONE, CANCEL_OWNER, CANCEL_DEADLINE, CANCEL_SHUTDOWN } cancel_reason;

typedef struct job {
    char id[BB_JOB_ID_LEN];
    char owner[OWNER_MAX];
    bb_job_state state;
    time_t created, started, finished;
    unsigned long finish_order; /* 1 for the first job to finish, and so on */
    double deadline;            /* bb_clock_seconds(); 0: none */
    atomic_bool cancel;
    cancel_reason reason;
    bb_job_result result;
    bb_job_fn fn;
    void *arg;
    void (*free_arg)(void *);
    pthread_t thread;
    struct bb_jobs *store;
    struct job *next;
} job;

struct bb_jobs {
    pthread_mutex_t lock;
    pthread_cond_t ended;
    job *head;
    size_t n_unfinished, n_finished;
    unsigned long finishes;
    bb_jobs_limits limits;
};

const char *bb_job_state_name(bb_job_state s)
{
    switch (s) {
    case BB_JOB_QUEUED:
        return "queued";
    case BB_JOB_RUNNING:
        return "running";
    case BB_JOB_DONE:
        return "done";
    case BB_JOB_FAILED:
        return "failed";
    case BB_JOB_CANCELLED:
        return "cancelled";
    }
    return "failed";
}

bool bb_job_state_parse(const char *name, bb_job_state *out)
{
    for (int s = BB_JOB_QUEUED; s <= BB_JOB_CANCELLED; s++)
        if (name && strcmp(name, bb_job_state_name((bb_job_state)s)) == 0) {
            *out = (bb_job_state)s;
            return true;
        }
    return false;
}

bb_jobs *bb_jobs_new(const bb_jobs_limits *limits)
{
    bb_jobs *js = bb_calloc(1, sizeof(*js));
    if (!js)
        return NULL;
    pthread_mutex_init(&js->lock, NULL);
    pthread_cond_init(&js->ended, NULL);
    js->limits = *limits;
    if (js->limits.max_running < 1)
        js->limits.max_running = 1;
    if (js->limits.max_results < 1)
        js->limits.max_results = 1;
    return js;
}

static bool finished(const job *j)
{
    return j->state >= BB_JOB_DONE;
}

/* Joins the job's thread (it has ended, or is about to) and frees it. */
static void job_free(job *j)
{
    pthread_join(j->thread, NULL);
    bb_free(j->result.body);
    bb_free(j);
}

static void free_list(job *j)
{
    while (j) {
        job *next = j->next;
        job_free(j);
        j = next;
    }
}

/* Unlinks *pp (a finished job, lock held) onto *dead. */
static void unlink_finished(bb_jobs *js, job **pp, job **dead)
{
    job *j = *pp;
    *pp = j->next;
    js->n_finished--;
    j->next = *dead;
    *dead = j;
}

/* Unlinks expired jobs (lock held) onto *dead, to be freed outside the lock. */
static void collect_expired(bb_jobs *js, job **dead)
{
    time_t now = time(NULL);
    for (job **pp = &js->head; *pp;) {
        if (finished(*pp) && difftime(now, (*pp)->finished) >= js->limits.ttl)
            unlink_finished(js, pp, dead);
        else
            pp = &(*pp)->next;
    }
}

/* Past max_results finished jobs, the oldest goes (lock held); never
 * self, the one just finished. */
static void collect_oldest(bb_jobs *js, const job *self, job **dead)
{
    while (js->n_finished > js->limits.max_results) {
        job **oldest = NULL;
        for (job **pp = &js->head; *pp; pp = &(*pp)->next)
            if (finished(*pp) && *pp != self &&
                (!oldest || (*pp)->finish_order < (*oldest)->finish_order))
                oldest = pp;
        if (!oldest)
            return;
        unlink_finished(js, oldest, dead);
    }
}

char *bb_jobs_cancelled_body(const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", "cancelled");
    cJSON_AddStringToObject(e, "message", message);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *body = text ? bb_strdup(text) : NULL;
    cJSON_free(text);
    return body;
}

/* The body a cancelled job answers with, and its status. */
static void cancelled_result(const job *j, const bb_jobs *js, bb_job_result *r)
{
    char msg[128];
    if (j->reason == CANCEL_OWNER)
        snprintf(msg, sizeof(msg), "cancelled by its owner");
    else if (j->reason == CANCEL_SHUTDOWN)
        snprintf(msg, sizeof(msg), "cancelled: the service stopped");
    else
        snprintf(msg, sizeof(msg), "cancelled: its deadline of %.0f s passed", js->limits.timeout);
    r->status = j->reason == CANCEL_OWNER ? 499 : j->reason == CANCEL_SHUTDOWN ? 503 : 504;
    r->body = bb_jobs_cancelled_body(msg);
    r->len = r->body ? strlen(r->body) : 0;
}

/* The job's end (lock held): its result, or a cancellation, whatever it
 * produced, when it was told to stop. */
static void finish(bb_jobs *js, job *j, int rc, bb_job_result *r)
{
    bool past_deadline = j->deadline > 0 && bb_clock_seconds() >= j->deadline;
    if (atomic_load(&j->cancel) || past_deadline) {
        if (j->reason == CANCEL_NONE)
            j->reason = CANCEL_DEADLINE;
        bb_free(r->body);
        cancelled_result(j, js, &j->result);
        j->state = BB_JOB_CANCELLED;
    } else {
        j->result = *r;
        j->state = rc == BB_OK ? BB_JOB_DONE : BB_JOB_FAILED;
    }
    j->finished = time(NULL);
    j->finish_order = ++js->finishes;
    js->n_unfinished--;
    js->n_finished++;
    pthread_cond_broadcast(&js->ended);
}

static void *job_main(void *p)
{
    job *j = p;
    bb_jobs *js = j->store;
    pthread_mutex_lock(&js->lock);
    j->state = BB_JOB_RUNNING;
    j->started = time(NULL);
    pthread_mutex_unlock(&js->lock);

    bb_job_ctx ctx = {&j->cancel, j->deadline};
    bb_job_result r = {0};
    int rc = j->fn(j->arg, &ctx, &r);
    if (j->free_arg)
        j->free_arg(j->arg);
    j->arg = NULL;

    job *dead = NULL;
    pthread_mutex_lock(&js->lock);
    finish(js, j, rc, &r);
    collect_oldest(js, j, &dead);
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    return NULL;
}

int bb_jobs_new_id(char id[BB_JOB_ID_LEN])
{
    unsigned char raw[(BB_JOB_ID_LEN - 1) / 2];
    if (bb_crypto_random(raw, sizeof(raw)) != BB_OK)
        return BB_ESTATE;
    bb_hex_encode(raw, sizeof(raw), id);
    return BB_OK;
}

/* Seconds until one of the unfinished jobs of owner (NULL: any) is sure
 * to have ended: the earliest deadline among them (lock held). */
static unsigned retry_after(const bb_jobs *js, const char *owner)
{
    double now = bb_clock_seconds(), soonest = -1;
    for (const job *j = js->head; j; j = j->next)
        if (!finished(j) && j->deadline > 0 && (!owner || strcmp(j->owner, owner) == 0))
            soonest = soonest < 0 || j->deadline < soonest ? j->deadline : soonest;
    if (soonest < 0)
        return RETRY_UNKNOWN;
    double wait = ceil(soonest - now);
    return wait < 1 ? 1 : (unsigned)wait;
}

static size_t unfinished_of(const bb_jobs *js, const char *owner)
{
    size_t n = 0;
    for (const job *j = js->head; j; j = j->next)
        n += !finished(j) && strcmp(j->owner, owner) == 0;
    return n;
}

/* BB_ELIMIT with *why filled when j may not start now (lock held). */
static int check_capacity(const bb_jobs *js, const char *owner, bb_jobs_refusal *why)
{
    memset(why, 0, sizeof(*why));
    if (js->limits.max_per_owner && unfinished_of(js, owner) >= js->limits.max_per_owner) {
        why->per_owner = true;
        why->retry_after = retry_after(js, owner);
        return BB_ELIMIT;
    }
    if (js->n_unfinished >= js->limits.max_running) {
        why->retry_after = retry_after(js, NULL);
        return BB_ELIMIT;
    }
    return BB_OK;
}

int bb_jobs_submit(bb_jobs *js, const char *owner, bb_job_fn fn, void *arg,
                   void (*free_arg)(void *), char id[BB_JOB_ID_LEN], bb_jobs_refusal *why)
{
    job *j = bb_calloc(1, sizeof(*j));
    if (!j)
        return BB_ENOMEM;
    int rc = bb_jobs_new_id(j->id);
    if (rc) {
        bb_free(j);
        return rc;
    }
    snprintf(j->owner, sizeof(j->owner), "%s", owner);
    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    j->store = js;
    j->created = time(NULL);
    atomic_init(&j->cancel, false);
    if (js->limits.timeout > 0)
        j->deadline = bb_clock_seconds() + js->limits.timeout;
    job *dead = NULL;
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    rc = check_capacity(js, owner, why);
    if (!rc && pthread_create(&j->thread, NULL, job_main, j) != 0)
        rc = BB_ENOMEM;
    if (!rc) {
        j->next = js->head;
        js->head = j;
        js->n_unfinished++;
        memcpy(id, j->id, BB_JOB_ID_LEN);
    }
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    if (rc)
        bb_free(j);
    return rc;
}

/* Job id as owner sees it (NULL: any), lock held; NULL when there is none. */
static job **find(bb_jobs *js, const char *id, const char *owner)
{
    for (job **pp = &js->head; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->id, id) == 0)
            return !owner || strcmp((*pp)->owner, owner) == 0 ? pp : NULL;
    return NULL;
}

int bb_jobs_get(bb_jobs *js, const char *id, const char *owner, bb_job_view *out)
{
    memset(out, 0, sizeof(*out));
    job *dead = NULL;
    int rc = BB_ENOTFOUND;
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    job **pp = find(js, id, owner);
    if (pp) {
        job *j = *pp;
        out->state = j->state;
        out->created = j->created;
        out->started = j->started;
        out->finished = j->finished;
        out->status = j->result.status;
        rc = BB_OK;
        if (finished(j) && j->result.body) {
            out->body = bb_strndup(j->result.body, j->result.len);
            out->len = j->result.len;
            if (!out->body)
                rc = BB_ENOMEM;
        }
    }
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    return rc;
}

void bb_job_view_free(bb_job_view *v)
{
    bb_free(v->body);
    memset(v, 0, sizeof(*v));
}

int bb_job_view_json(const char *id, const bb_job_view *v, char **json)
{
    *json = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "state", bb_job_state_name(v->state));
    cJSON_AddNumberToObject(o, "created_at", (double)v->created);
    if (v->finished)
        cJSON_AddNumberToObject(o, "finished_at", (double)v->finished);
    else
        cJSON_AddNullToObject(o, "finished_at");
    if (v->state >= BB_JOB_DONE) {
        cJSON_AddNumberToObject(o, "status", v->status);
        cJSON *r = v->body ? cJSON_ParseWithLength(v->body, v->len) : NULL;
        if (!r && v->body)
            r = cJSON_CreateString(v->body);
        cJSON_AddItemToObject(o, "result", r ? r : cJSON_CreateNull());
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return BB_ENOMEM;
    *json = bb_strdup(s);
    cJSON_free(s);
    return *json ? BB_OK : BB_ENOMEM;
}

int bb_jobs_status_json(bb_jobs *js, const char *id, const char *owner, char **json)
{
    *json = NULL;
    bb_job_view v;
    int rc = bb_jobs_get(js, id, owner, &v);
    if (rc)
        return rc;
    rc = bb_job_view_json(id, &v, json);
    bb_job_view_free(&v);
    return rc;
}

int bb_jobs_cancel(bb_jobs *js, const char *id, const char *owner, bool *forgotten)
{
    *forgotten = false;
    job *dead = NULL;
    int rc = BB_ENOTFOUND;
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    job **pp = find(js, id, owner);
    if (pp && finished(*pp)) {
        unlink_finished(js, pp, &dead);
        *forgotten = true;
        rc = BB_OK;
    } else if (pp) {
        if ((*pp)->reason == CANCEL_NONE)
            (*pp)->reason = CANCEL_OWNER;
        atomic_store(&(*pp)->cancel, true);
        rc = BB_OK;
    }
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    return rc;
}

size_t bb_jobs_cancel_all(bb_jobs *js)
{
    size_t n = 0;
    pthread_mutex_lock(&js->lock);
    for (job *j = js->head; j; j = j->next) {
        if (finished(j))
            continue;
        if (j->reason == CANCEL_NONE)
            j->reason = CANCEL_SHUTDOWN;
        atomic_store(&j->cancel, true);
        n++;
    }
    pthread_mutex_unlock(&js->lock);
    return n;
}

size_t bb_jobs_wait(bb_jobs *js, double deadline)
{
    pthread_mutex_lock(&js->lock);
    while (js->n_unfinished > 0 && bb_clock_seconds() < deadline) {
        struct timespec t = bb_clock_wall_after_ms(50);
        pthread_cond_timedwait(&js->ended, &js->lock, &t);
    }
    size_t n = js->n_unfinished;
    pthread_mutex_unlock(&js->lock);
    return n;
}

size_t bb_jobs_count(bb_jobs *js)
{
    job *dead = NULL;
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    size_t n = js->n_unfinished + js->n_finished;
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    return n;
}

void bb_jobs_free(bb_jobs *js)
{
    if (!js)
        return;
    /* No job thread touches the list once none is unfinished. */
    while (bb_jobs_wait(js, bb_clock_seconds() + 60) > 0)
        ;
    free_list(js->head); /* joins each thread before freeing its job */
    pthread_cond_destroy(&js->ended);
    pthread_mutex_destroy(&js->lock);
    bb_free(js);
}
