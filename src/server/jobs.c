/* jobs.c - bounded background jobs with expiry (see jobs.h). */
#include "server/jobs.h"

#include "base/crypto.h"
#include <cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct job {
    char id[BB_JOB_ID_LEN];
    bb_job_state state;
    time_t created, started, finished;
    bb_job_result result;
    bb_job_fn fn;
    void *arg;
    void (*free_arg)(void *);
    pthread_t thread;
    bool joined;
    struct bb_jobs *owner;
    struct job *next;
} job;

struct bb_jobs {
    pthread_mutex_t lock;
    job *head;
    size_t n, max;
    double ttl;
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
    }
    return "failed";
}

bb_jobs *bb_jobs_new(size_t max_jobs, double ttl_seconds)
{
    bb_jobs *js = bb_calloc(1, sizeof(*js));
    if (!js)
        return NULL;
    pthread_mutex_init(&js->lock, NULL);
    js->max = max_jobs ? max_jobs : 1;
    js->ttl = ttl_seconds > 0 ? ttl_seconds : 0;
    return js;
}

static void job_free(job *j)
{
    if (!j->joined)
        pthread_join(j->thread, NULL);
    bb_free(j->result.body);
    bb_free(j);
}

static bool finished(const job *j)
{
    return j->state == BB_JOB_DONE || j->state == BB_JOB_FAILED;
}

/* Unlinks expired jobs (lock held) onto *dead, to be freed outside the lock. */
static void collect_expired(bb_jobs *js, job **dead)
{
    time_t now = time(NULL);
    job **pp = &js->head;
    while (*pp) {
        job *j = *pp;
        if (finished(j) && difftime(now, j->finished) >= js->ttl) {
            *pp = j->next;
            js->n--;
            j->next = *dead;
            *dead = j;
        } else {
            pp = &j->next;
        }
    }
}

static void free_list(job *j)
{
    while (j) {
        job *next = j->next;
        job_free(j);
        j = next;
    }
}

static void *job_main(void *p)
{
    job *j = p;
    bb_jobs *js = j->owner;
    pthread_mutex_lock(&js->lock);
    j->state = BB_JOB_RUNNING;
    j->started = time(NULL);
    pthread_mutex_unlock(&js->lock);

    bb_job_result r = {0};
    int rc = j->fn(j->arg, &r);
    if (j->free_arg)
        j->free_arg(j->arg);
    j->arg = NULL;

    pthread_mutex_lock(&js->lock);
    j->result = r;
    j->state = rc == BB_OK ? BB_JOB_DONE : BB_JOB_FAILED;
    j->finished = time(NULL);
    pthread_mutex_unlock(&js->lock);
    return NULL;
}

static int random_id(char id[BB_JOB_ID_LEN])
{
    unsigned char raw[16];
    if (bb_crypto_random(raw, sizeof(raw)) != BB_OK)
        return BB_ESTATE;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        id[2 * i] = digits[raw[i] >> 4];
        id[2 * i + 1] = digits[raw[i] & 15];
    }
    id[32] = '\0';
    return BB_OK;
}

int bb_jobs_submit(bb_jobs *js, bb_job_fn fn, void *arg, void (*free_arg)(void *),
                   char id[BB_JOB_ID_LEN])
{
    job *dead = NULL;
    job *j = bb_calloc(1, sizeof(*j));
    if (!j)
        return BB_ENOMEM;
    int rc = random_id(j->id);
    if (rc) {
        bb_free(j);
        return rc;
    }
    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    j->owner = js;
    j->created = time(NULL);
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    if (js->n >= js->max) {
        rc = BB_ELIMIT;
    } else if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
        rc = BB_ENOMEM;
    } else {
        j->next = js->head;
        js->head = j;
        js->n++;
        memcpy(id, j->id, BB_JOB_ID_LEN);
    }
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    if (rc)
        bb_free(j);
    return rc;
}

int bb_jobs_get(bb_jobs *js, const char *id, bb_job_view *out)
{
    memset(out, 0, sizeof(*out));
    job *dead = NULL;
    int rc = BB_ENOTFOUND;
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    for (job *j = js->head; j; j = j->next) {
        if (strcmp(j->id, id) != 0)
            continue;
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
        break;
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

int bb_jobs_status_json(bb_jobs *js, const char *id, char **json)
{
    *json = NULL;
    bb_job_view v;
    int rc = bb_jobs_get(js, id, &v);
    if (rc)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "state", bb_job_state_name(v.state));
    cJSON_AddNumberToObject(o, "created_at", (double)v.created);
    if (v.finished)
        cJSON_AddNumberToObject(o, "finished_at", (double)v.finished);
    else
        cJSON_AddNullToObject(o, "finished_at");
    if (v.state == BB_JOB_DONE || v.state == BB_JOB_FAILED) {
        cJSON_AddNumberToObject(o, "status", v.status);
        cJSON *r = v.body ? cJSON_ParseWithLength(v.body, v.len) : NULL;
        if (!r && v.body)
            r = cJSON_CreateString(v.body);
        cJSON_AddItemToObject(o, "result", r ? r : cJSON_CreateNull());
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    bb_job_view_free(&v);
    if (!s)
        return BB_ENOMEM;
    *json = bb_strdup(s);
    cJSON_free(s);
    return *json ? BB_OK : BB_ENOMEM;
}

size_t bb_jobs_count(bb_jobs *js)
{
    job *dead = NULL;
    pthread_mutex_lock(&js->lock);
    collect_expired(js, &dead);
    size_t n = js->n;
    pthread_mutex_unlock(&js->lock);
    free_list(dead);
    return n;
}

void bb_jobs_free(bb_jobs *js)
{
    if (!js)
        return;
    free_list(js->head); /* joins each thread before freeing its job */
    pthread_mutex_destroy(&js->lock);
    bb_free(js);
}
