/**
 * The OpenAPI operationId of each route, by `Controller.method`. Generated clients name their
 * functions after these (`client.GET('/points')` types, or `enterQueue` in an SDK), so they are
 * short verbs a client developer would write, never Nest's default `QueueController_enter`.
 * A route missing here gets `<method><Controller>` (`enterQueue` from QueueController.enter);
 * the OpenAPI e2e test keeps every id unique and free of "Controller".
 */
export const OPERATION_IDS: Readonly<Record<string, string>> = {
  'AuthController.register': 'register',
  'AuthController.login': 'login',
  'AuthController.refresh': 'refreshTokens',
  'AuthController.logout': 'logout',
  'AuthController.me': 'getMe',
  'ConcertsController.list': 'listConcerts',
  'AvailableDatesController.list': 'listAvailableDates',
  'QueueController.enter': 'enterQueue',
  'QueueController.enterByPost': 'enterQueueByPost',
  'QueueController.state': 'getQueueState',
  'QueueController.leave': 'leaveQueue',
  'DrawController.draw': 'getDraw',
  'PointsController.getBalance': 'getPoints',
  'PointsController.charge': 'chargePoints',
  'PointsController.getHistory': 'getPointsHistory',
  'ReservationsController.seatMap': 'getSeatMap',
  'ReservationsController.hold': 'holdSeats',
  'ReservationsController.list': 'listReservations',
  'ReservationsController.cancel': 'cancelReservation',
  'PaymentsController.pay': 'pay',
  'PaymentsController.get': 'getPayment',
  'AdminConcertsController.list': 'adminListConcerts',
  'AdminConcertsController.create': 'adminCreateConcert',
  'AdminConcertsController.get': 'adminGetConcert',
  'AdminConcertsController.changeSettings': 'adminChangeConcert',
  'HealthController.live': 'getHealth',
  'HealthController.ready': 'getReadiness',
};

/** For SwaggerModule.createDocument's operationIdFactory. */
export function operationIdFor(controllerKey: string, methodKey: string): string {
  const named = OPERATION_IDS[`${controllerKey}.${methodKey}`];
  if (named) return named;
  const resource = controllerKey.replace(/Controller$/, '');
  return `${methodKey}${resource.charAt(0).toUpperCase()}${resource.slice(1)}`;
}
