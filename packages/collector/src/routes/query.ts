import { StoreUnavailableError } from '../errors.js';
import { domainHttpError } from '../http/answers.js';
import { queryLogs } from '../query/logs.js';
import type { RoutePlugin } from '../context.js';
import { noStore } from './no-store.js';

/** `GET /query`: the reference collector's parameters and answer shape. */
export const queryRoutes: RoutePlugin = async (app, ctx) => {
  app.addHook('onRequest', noStore);
  app.get('/query', { preHandler: ctx.queryAuth }, async (req) => {
    try {
      const { total, logs } = await queryLogs(ctx.store.reader, req.query);
      return { total, logs, status: 'success' };
    } catch (e) {
      if (domainHttpError(e)) throw e;
      req.log.error({ err: e }, 'query failed');
      throw new StoreUnavailableError(e);
    }
  });
};
